;;; SPDX-License-Identifier: Apache-2.0
;;; The Guile corpus benchmark's comparison: Guile's own loader over the corpus.
;;; Usage: guile --no-auto-compile guile_load_thunks.scm LIST PASSES
;;; LIST holds one .go path per line. The first pass loads every file inside
;;; a catch, to find the files that do not load standalone (reported as
;;; "failed: PATH: KEY"); PASSES more passes then time only the files that
;;; loaded, each printing "pass_ms: MS". Times come from inside Guile, so the
;;; interpreter's startup is not counted; load-thunk-from-file also runs each
;;; image's init code, which granule's loader does not.
(use-modules (system vm loader) (ice-9 rdelim) (ice-9 format))

(define (read-lines port)
  (let loop ((lines '()))
    (let ((line (read-line port)))
      (if (eof-object? line)
          (reverse lines)
          (loop (if (string-null? line) lines (cons line lines)))))))

(define (loads? path)
  (catch #t
    (lambda () (load-thunk-from-file path) #t)
    (lambda (key . args)
      (format #t "failed: ~a: ~a~%" path key)
      #f)))

(define (timed-pass paths)
  (let ((start (get-internal-real-time)))
    (for-each load-thunk-from-file paths)
    (/ (* 1000.0 (- (get-internal-real-time) start))
       internal-time-units-per-second)))

(let* ((args (command-line))
       (paths (call-with-input-file (cadr args) read-lines))
       (passes (string->number (caddr args)))
       (good (filter loads? paths)))
  (format #t "loaded: ~a of ~a~%" (length good) (length paths))
  (let loop ((i 0))
    (when (< i passes)
      (format #t "pass_ms: ~,3f~%" (timed-pass good))
      (loop (+ i 1)))))
