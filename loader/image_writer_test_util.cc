#include "loader/image_writer_test_util.h"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

namespace granule {
namespace {

std::vector<std::string> Tokens(const std::string& line) {
  std::istringstream in(line);
  return {std::istream_iterator<std::string>(in),
          std::istream_iterator<std::string>()};
}

uint64_t Hex(const std::string& s) { return std::stoull(s, nullptr, 16); }

// "0x188" or "264 (bytes)".
uint64_t Number(const std::string& s) {
  return s.rfind("0x", 0) == 0 ? Hex(s) : std::stoull(s, nullptr, 10);
}

bool IsHex(const std::string& s) {
  return !s.empty() &&
         s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string Trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(' ');
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(' ') + 1 - begin);
}

// "  [ 1] .rodata PROGBITS 0...120 000120 000064 00 A 0 0 16"; the name of
// section 0 and the flags of .shstrtab are empty.
Shdr ParseSection(const std::string& line) {
  std::vector<std::string> t = Tokens(line.substr(line.find(']') + 1));
  if (t.size() == 8) t.insert(t.begin(), "");
  if (t.size() == 9) t.insert(t.begin() + 6, "");
  Shdr s;
  if (t.size() != 10) return s;
  s.name = t[0];
  s.type = t[1];
  s.addr = Hex(t[2]);
  s.offset = Hex(t[3]);
  s.size = Hex(t[4]);
  s.entsize = Hex(t[5]);
  s.flags = t[6];
  s.align = std::stoull(t[9]);
  return s;
}

// "  LOAD 0x010000 0x...10000 0x...10000 0x00012c 0x00012c R E 0x10000".
Phdr ParseSegment(const std::vector<std::string>& t) {
  Phdr p;
  p.type = t[0];
  p.offset = Hex(t[1]);
  p.vaddr = Hex(t[2]);
  p.paddr = Hex(t[3]);
  p.filesz = Hex(t[4]);
  p.memsz = Hex(t[5]);
  for (size_t i = 6; i + 1 < t.size(); ++i) p.flags += t[i];
  p.align = Hex(t.back());
  return p;
}

// " 0x0000000000000007 (RELA)               0x188".
DynEntry ParseDynamic(const std::string& line) {
  const std::vector<std::string> t = Tokens(line);
  const std::string rest = line.substr(line.find(')') + 1);
  return {static_cast<int64_t>(Hex(t[0])), Number(Tokens(rest)[0])};
}

void ParseReloc(const std::vector<std::string>& t, bool rela, Readelf& out) {
  Reloc r;
  r.offset = Hex(t[0]);
  r.info = Hex(t[1]);
  r.type = t[2];
  if (rela) r.addend = Hex(t.back());
  out.relocations.push_back(r);
}

}  // namespace

std::string Readelf::Header(const std::string& key, int n) const {
  for (const auto& [k, v] : header) {
    if (k == key && n-- == 0) return v;
  }
  return "(missing " + key + ")";
}

Readelf RunReadelf(const std::string& path) {
  Readelf out;
  const std::string command = "readelf -W -h -l -S -d -r '" + path + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    out.output.append(buffer, n);
  }
  pclose(pipe);

  enum { kNone, kHeader, kSections, kSegments, kDynamic, kRela, kRel, kRelr };
  int block = kNone;
  std::istringstream lines(out.output);
  std::string line;
  while (std::getline(lines, line)) {
    const std::vector<std::string> t = Tokens(line);
    if (t.empty()) {
      block = kNone;
    } else if (line == "ELF Header:") {
      block = kHeader;
    } else if (line == "Section Headers:") {
      block = kSections;
    } else if (line.rfind("Program Headers:", 0) == 0) {
      block = kSegments;
    } else if (line.rfind("Dynamic section at offset", 0) == 0) {
      block = kDynamic;
    } else if (line.rfind("Relocation section '", 0) == 0) {
      const std::string name = line.substr(20, line.find('\'', 20) - 20);
      out.relocation_sections.push_back(name);
      block = name.find("relr") != std::string::npos   ? kRelr
              : name.find("rela") != std::string::npos ? kRela
                                                       : kRel;
    } else if (block == kHeader && line.find(':') != std::string::npos) {
      const size_t colon = line.find(':');
      out.header.emplace_back(Trim(line.substr(0, colon)),
                              Trim(line.substr(colon + 1)));
    } else if (block == kSections && line.rfind("  [", 0) == 0 &&
               t[0] != "[Nr]") {
      out.sections.push_back(ParseSection(line));
    } else if (block == kSegments && t.size() >= 8 && t[0] != "Type") {
      out.segments.push_back(ParseSegment(t));
    } else if (block == kDynamic && t[0].rfind("0x", 0) == 0) {
      out.dynamic.push_back(ParseDynamic(line));
    } else if ((block == kRela || block == kRel) && t.size() >= 3 &&
               IsHex(t[0]) && IsHex(t[1])) {
      ParseReloc(t, block == kRela, out);
    } else if (block == kRelr && t.size() == 1 && IsHex(t[0])) {
      out.relr_offsets.push_back(Hex(t[0]));
    }
  }
  return out;
}

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

uint64_t LoadWordForTest(const uint8_t* p, int width, bool big_endian) {
  uint64_t value = 0;
  for (int i = 0; i < width; ++i) {
    const uint8_t byte = big_endian ? p[i] : p[width - 1 - i];
    value = (value << 8) | byte;
  }
  return value;
}

void StoreWordForTest(uint8_t* p, int width, bool big_endian, uint64_t value) {
  for (int i = 0; i < width; ++i) {
    p[big_endian ? width - 1 - i : i] = static_cast<uint8_t>(value >> (8 * i));
  }
}

std::vector<uint64_t> DecodeRelr(const std::vector<uint64_t>& words,
                                 int word_size) {
  std::vector<uint64_t> places;
  const uint64_t word = word_size, bits = word * 8 - 1;
  uint64_t next = 0;  // Where the next bitmap's bit 1 points.
  for (uint64_t entry : words) {
    if ((entry & 1) == 0) {  // An address.
      places.push_back(entry);
      next = entry + word;
      continue;
    }
    for (uint64_t bit = 0; bit < bits; ++bit) {
      if ((entry >> (bit + 1)) & 1) places.push_back(next + bit * word);
    }
    next += bits * word;
  }
  return places;
}

}  // namespace granule
