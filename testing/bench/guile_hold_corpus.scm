;;; SPDX-License-Identifier: Apache-2.0
;;; For guile_bench's memory figures: loads every .go in LIST with
;;; load-thunk-from-file, prints "ready: N" (how many loaded), then holds
;;; them until its standard input closes, so the parent can read this
;;; process's PSS while all its siblings hold the same files.
;;; Usage: guile --no-auto-compile guile_hold_corpus.scm LIST
(use-modules (system vm loader) (ice-9 rdelim))

(define (read-lines file)
  (call-with-input-file file
    (lambda (port)
      (let loop ((lines '()))
        (let ((line (read-line port)))
          (cond ((eof-object? line) (reverse lines))
                ((string-null? line) (loop lines))
                (else (loop (cons line lines)))))))))

(define thunks
  (let loop ((paths (read-lines (cadr (command-line)))) (loaded '()))
    (if (null? paths)
        loaded
        (loop (cdr paths)
              (catch #t
                (lambda () (cons (load-thunk-from-file (car paths)) loaded))
                (lambda _ loaded))))))

(display "ready: ")
(display (length thunks))
(newline)
(force-output)
(let wait () (unless (eof-object? (read-char)) (wait)))
