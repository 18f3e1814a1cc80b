// SPDX-License-Identifier: Apache-2.0
// The error-passing macros every library uses: they must hand an error up
// exactly as it came (code, message, payload), go on when it is ok, evaluate
// their expression once, and behave as one statement where that matters.
#include "platform/status_macros.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "gtest/gtest.h"

namespace granule {
namespace {

// An error with every part absl::Status compares: code, message, payload.
absl::Status DetailedError() {
  absl::Status status = absl::DataLossError("segment 3: p_filesz too large");
  status.SetPayload("granule/test", absl::Cord("the payload"));
  return status;
}

// Returns `status`, counting the calls.
absl::Status Counted(absl::Status status, int& calls) {
  ++calls;
  return status;
}

template <typename T>
absl::StatusOr<T> CountedOr(absl::StatusOr<T> value, int& calls) {
  ++calls;
  return value;
}

// Set when a function ran past its macro.
constexpr int kReachedEnd = 42;

absl::Status ReturnIfError(absl::Status status, int& calls, int& reached) {
  GRANULE_RETURN_IF_ERROR(Counted(std::move(status), calls));
  reached = kReachedEnd;
  return absl::OkStatus();
}

TEST(ReturnIfErrorTest, ReturnsTheErrorUnchanged) {
  int calls = 0, reached = 0;
  const absl::Status returned = ReturnIfError(DetailedError(), calls, reached);
  EXPECT_EQ(returned, DetailedError());
  EXPECT_EQ(returned.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(returned.message(), "segment 3: p_filesz too large");
  EXPECT_EQ(returned.GetPayload("granule/test"), absl::Cord("the payload"));
  EXPECT_EQ(reached, 0);
  EXPECT_EQ(calls, 1);
}

TEST(ReturnIfErrorTest, GoesOnWhenOk) {
  int calls = 0, reached = 0;
  EXPECT_TRUE(ReturnIfError(absl::OkStatus(), calls, reached).ok());
  EXPECT_EQ(reached, kReachedEnd);
  EXPECT_EQ(calls, 1);
}

absl::StatusOr<std::string> ReturnIfErrorInStatusOr(absl::Status status) {
  GRANULE_RETURN_IF_ERROR(status);
  return std::string("went on");
}

TEST(ReturnIfErrorTest, WorksInAFunctionReturningStatusOr) {
  EXPECT_EQ(ReturnIfErrorInStatusOr(DetailedError()).status(), DetailedError());
  absl::StatusOr<std::string> ok = ReturnIfErrorInStatusOr(absl::OkStatus());
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, "went on");
}

// If the macro were a bare `if (...) return ...;`, the `else` below would
// belong to the macro's `if`: a failing `second` would then be checked when
// `first_branch` is true and `first` is ok, and the else branch would never
// run for `first_branch == false`.
absl::Status IfElseUnbraced(bool first_branch, absl::Status first,
                            absl::Status second, int& first_calls,
                            int& second_calls, int& reached) {
  if (first_branch)
    GRANULE_RETURN_IF_ERROR(Counted(std::move(first), first_calls));
  else
    GRANULE_RETURN_IF_ERROR(Counted(std::move(second), second_calls));
  reached = kReachedEnd;
  return absl::OkStatus();
}

TEST(ReturnIfErrorTest, IsOneStatementInAnUnbracedIfElse) {
  {
    int first_calls = 0, second_calls = 0, reached = 0;
    EXPECT_EQ(IfElseUnbraced(true, DetailedError(), absl::InternalError("no"),
                             first_calls, second_calls, reached),
              DetailedError());
    EXPECT_EQ(first_calls, 1);
    EXPECT_EQ(second_calls, 0);
    EXPECT_EQ(reached, 0);
  }
  {
    // The then-branch succeeds: the else-branch is not taken.
    int first_calls = 0, second_calls = 0, reached = 0;
    EXPECT_TRUE(IfElseUnbraced(true, absl::OkStatus(),
                               absl::InternalError("no"), first_calls,
                               second_calls, reached)
                    .ok());
    EXPECT_EQ(first_calls, 1);
    EXPECT_EQ(second_calls, 0);
    EXPECT_EQ(reached, kReachedEnd);
  }
  {
    int first_calls = 0, second_calls = 0, reached = 0;
    EXPECT_EQ(IfElseUnbraced(false, absl::InternalError("no"), DetailedError(),
                             first_calls, second_calls, reached),
              DetailedError());
    EXPECT_EQ(first_calls, 0);
    EXPECT_EQ(second_calls, 1);
    EXPECT_EQ(reached, 0);
  }
  {
    int first_calls = 0, second_calls = 0, reached = 0;
    EXPECT_TRUE(IfElseUnbraced(false, absl::InternalError("no"),
                               absl::OkStatus(), first_calls, second_calls,
                               reached)
                    .ok());
    EXPECT_EQ(first_calls, 0);
    EXPECT_EQ(second_calls, 1);
    EXPECT_EQ(reached, kReachedEnd);
  }
}

// Uses follow one another in one scope, and nest: the inner one, in a lambda
// inside the outer one's expression, has a local of its own.
absl::Status Nested(absl::Status first, absl::Status inner, absl::Status last) {
  GRANULE_RETURN_IF_ERROR(first);
  GRANULE_RETURN_IF_ERROR([&]() -> absl::Status {
    GRANULE_RETURN_IF_ERROR(inner);
    return absl::OkStatus();
  }());
  GRANULE_RETURN_IF_ERROR(last);
  return absl::OkStatus();
}

TEST(ReturnIfErrorTest, FollowsAndNests) {
  const absl::Status ok = absl::OkStatus();
  EXPECT_TRUE(Nested(ok, ok, ok).ok());
  EXPECT_EQ(Nested(DetailedError(), ok, ok), DetailedError());
  EXPECT_EQ(Nested(ok, DetailedError(), ok), DetailedError());
  EXPECT_EQ(Nested(ok, ok, DetailedError()), DetailedError());
}

template <typename A, typename B>
absl::Status First(A a, B) {
  return a;
}

absl::Status CommaInExpression(absl::Status status) {
  GRANULE_RETURN_IF_ERROR(First<absl::Status, int>(status, 1));
  return absl::OkStatus();
}

TEST(ReturnIfErrorTest, TakesAnExpressionWithATopLevelComma) {
  EXPECT_EQ(CommaInExpression(DetailedError()), DetailedError());
  EXPECT_TRUE(CommaInExpression(absl::OkStatus()).ok());
}

absl::StatusOr<int> AssignOrReturn(absl::StatusOr<int> value, int& calls,
                                   int& reached) {
  GRANULE_ASSIGN_OR_RETURN(const int got, CountedOr(std::move(value), calls));
  reached = kReachedEnd;
  return got + 1;
}

TEST(AssignOrReturnTest, ReturnsTheErrorUnchanged) {
  int calls = 0, reached = 0;
  const absl::StatusOr<int> returned =
      AssignOrReturn(DetailedError(), calls, reached);
  EXPECT_EQ(returned.status(), DetailedError());
  EXPECT_EQ(returned.status().GetPayload("granule/test"),
            absl::Cord("the payload"));
  EXPECT_EQ(reached, 0);
  EXPECT_EQ(calls, 1);
}

TEST(AssignOrReturnTest, DeclaresTheValueWhenOk) {
  int calls = 0, reached = 0;
  const absl::StatusOr<int> returned = AssignOrReturn(41, calls, reached);
  ASSERT_TRUE(returned.ok()) << returned.status();
  EXPECT_EQ(*returned, 42);
  EXPECT_EQ(reached, kReachedEnd);
  EXPECT_EQ(calls, 1);
}

// Into a variable declared before, here in the branches of an if/else (which
// need braces: the macro declares in the enclosing scope, so it is several
// statements).
absl::Status AssignToExisting(bool first_branch, absl::StatusOr<int> first,
                              absl::StatusOr<int> second, int& calls,
                              int& out) {
  int value = -1;
  if (first_branch) {
    GRANULE_ASSIGN_OR_RETURN(value, CountedOr(std::move(first), calls));
  } else {
    GRANULE_ASSIGN_OR_RETURN(value, CountedOr(std::move(second), calls));
  }
  out = value;
  return absl::OkStatus();
}

TEST(AssignOrReturnTest, AssignsAnExistingVariableInsideIfElse) {
  int calls = 0, out = 0;
  EXPECT_TRUE(AssignToExisting(true, 7, DetailedError(), calls, out).ok());
  EXPECT_EQ(out, 7);
  EXPECT_EQ(calls, 1);
  calls = 0, out = 0;
  EXPECT_TRUE(AssignToExisting(false, DetailedError(), 8, calls, out).ok());
  EXPECT_EQ(out, 8);
  EXPECT_EQ(calls, 1);
  calls = 0, out = 0;
  EXPECT_EQ(AssignToExisting(false, 7, DetailedError(), calls, out),
            DetailedError());
  EXPECT_EQ(out, 0);
  EXPECT_EQ(calls, 1);
}

struct Payload {
  std::string text;
};

absl::StatusOr<std::unique_ptr<Payload>> MakePayload(absl::Status status,
                                                     const Payload** made) {
  if (!status.ok()) return status;
  auto payload = std::make_unique<Payload>(Payload{"moved, not copied"});
  *made = payload.get();
  return payload;
}

// A move-only value: this compiles only if the macro moves it.
absl::Status TakeOwnership(absl::Status status, const Payload** made,
                           std::unique_ptr<Payload>& owner) {
  GRANULE_ASSIGN_OR_RETURN(std::unique_ptr<Payload> taken,
                           MakePayload(std::move(status), made));
  owner = std::move(taken);
  return absl::OkStatus();
}

TEST(AssignOrReturnTest, MovesAMoveOnlyValue) {
  const Payload* made = nullptr;
  std::unique_ptr<Payload> owner;
  ASSERT_TRUE(TakeOwnership(absl::OkStatus(), &made, owner).ok());
  ASSERT_NE(owner, nullptr);
  EXPECT_EQ(owner.get(), made);  // The very object that was made.
  EXPECT_EQ(owner->text, "moved, not copied");

  made = nullptr;
  std::unique_ptr<Payload> untouched;
  EXPECT_EQ(TakeOwnership(DetailedError(), &made, untouched), DetailedError());
  EXPECT_EQ(untouched, nullptr);
  EXPECT_EQ(made, nullptr);
}

// Successive uses in one scope get locals of their own.
absl::StatusOr<int> Sum(absl::StatusOr<int> a, absl::StatusOr<int> b) {
  GRANULE_ASSIGN_OR_RETURN(int x, std::move(a));
  GRANULE_ASSIGN_OR_RETURN(int y, std::move(b));
  return x + y;
}

TEST(AssignOrReturnTest, FollowsInOneScope) {
  absl::StatusOr<int> sum = Sum(2, 3);
  ASSERT_TRUE(sum.ok()) << sum.status();
  EXPECT_EQ(*sum, 5);
  EXPECT_EQ(Sum(DetailedError(), 3).status(), DetailedError());
  EXPECT_EQ(Sum(2, DetailedError()).status(), DetailedError());
}

}  // namespace
}  // namespace granule
