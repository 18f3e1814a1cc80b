;;; SPDX-License-Identifier: Apache-2.0
;;; What testing/guile/run.sh has Guile do, once plain and once per granule
;;; path. Each task prints lines that must be the same in every run.
;;;
;;;   guile --no-auto-compile workload.scm select SOURCE_LIST COUNT CHOSEN_LIST OUT_DIR
;;;     Compiles the sources in SOURCE_LIST (one path per line) in order
;;;     until COUNT compiled on their own, each to OUT_DIR; writes those to
;;;     CHOSEN_LIST. Sources that fail are skipped (named on stderr).
;;;   ... workload.scm compile CHOSEN_LIST OUT_DIR
;;;     Compiles exactly those, each to OUT_DIR/N.go (N: its line number).
;;;   ... workload.scm image-table
;;;     What reads the loaded images outside their code: backtraces with
;;;     source locations, procedure names, arities, docstrings and sources
;;;     of procedures from Guile's own .go files, and a GC-heavy loop whose
;;;     collections walk frames of those procedures with the images' frame
;;;     maps.
;;;   ... workload.scm load-all GO_LIST
;;;     load-thunk-from-file on every .go in GO_LIST; prints how many loaded.
(use-modules (ice-9 rdelim) (ice-9 format) (ice-9 match) (srfi srfi-1)
             (system base compile) (system vm program) (system vm debug)
             (system vm loader))

(define (read-lines file)
  (call-with-input-file file
    (lambda (port)
      (let loop ((lines '()))
        (let ((line (read-line port)))
          (cond ((eof-object? line) (reverse lines))
                ((string-null? line) (loop lines))
                (else (loop (cons line lines)))))))))

(define (compile-one source output)
  (compile-file source #:output-file output))

(define (compiles? source output)
  (catch #t
    (lambda () (compile-one source output) #t)
    (lambda (key . args)
      (format (current-error-port) "workload: ~a does not compile on its own: ~a~%"
              source key)
      #f)))

(define (select sources count chosen-file out-dir)
  (let loop ((sources sources) (chosen '()))
    (if (or (null? sources) (= (length chosen) count))
        (begin
          (call-with-output-file chosen-file
            (lambda (port)
              (for-each (lambda (s) (format port "~a~%" s)) (reverse chosen))))
          (format #t "compiled: ~a~%" (length chosen)))
        (let ((output (format #f "~a/~a.go" out-dir (+ 1 (length chosen)))))
          (loop (cdr sources)
                (if (compiles? (car sources) output)
                    (cons (car sources) chosen)
                    chosen))))))

(define (compile-all chosen out-dir)
  (let loop ((sources chosen) (n 1))
    (unless (null? sources)
      (compile-one (car sources) (format #f "~a/~a.go" out-dir n))
      (loop (cdr sources) (+ n 1))))
  (format #t "compiled: ~a~%" (length chosen)))

;; A backtrace taken inside fold (srfi/srfi-1.go) called from map
;; (ice-9/boot-9.go): the frames' source locations come from the images'
;; .debug_line, which is outside PT_LOAD.
(define (backtrace-text)
  (call-with-output-string
    (lambda (port)
      (fold (lambda (x acc)
              (when (= x 2)
                (display-backtrace (make-stack #t) port 0 4))
              (+ x acc))
            0 '(1 2 3)))))

(define (describe name proc)
  (format #t "procedure ~a: name=~s minimum-arity=~s arguments=~s~%"
          name (procedure-name proc) (procedure-minimum-arity proc)
          (program-arguments-alist proc))
  (format #t "procedure ~a: documentation=~s~%" name
          (procedure-documentation proc))
  (format #t "procedure ~a: first source=~s~%" name
          (let ((sources (program-sources proc)))
            (and (pair? sources) (car sources)))))

;; Each collection scans the stack, where fold's and the lambdas' frames are
;; live: their dead-slot maps come from the images' .guile.frame-maps.
(define (gc-loop rounds)
  (let loop ((round 0) (total 0))
    (if (= round rounds)
        total
        (loop (+ round 1)
              (+ total
                 (length
                  (fold (lambda (x acc)
                          (when (zero? (modulo x 2500)) (gc))
                          (cons (make-vector 8 x) acc))
                        '() (iota 10000))))))))

(define (image-table)
  (let ((text (backtrace-text)))
    (display text)
    (format #t "backtrace names srfi/srfi-1.scm: ~a~%"
            (if (string-contains text "srfi/srfi-1.scm:") "yes" "no")))
  (describe "fold" fold)
  (describe "module-ref" module-ref)
  (describe "string-join" string-join)
  (describe "call-with-output-string" call-with-output-string)
  (format #t "gc-loop: ~a cells, gc runs: ~a~%" (gc-loop 40)
          (if (> (assq-ref (gc-stats) 'gc-times) 15) "many" "few")))

(define (load-all paths)
  (let ((loaded (count (lambda (path)
                         (catch #t
                           (lambda () (load-thunk-from-file path) #t)
                           (lambda (key . args)
                             (format #t "load-all: ~a failed: ~a~%" path key)
                             #f)))
                       paths)))
    (format #t "load-all: ~a of ~a~%" loaded (length paths))))

(match (cdr (command-line))
  (("select" source-list count chosen-list out-dir)
   (select (read-lines source-list) (string->number count) chosen-list out-dir))
  (("compile" chosen-list out-dir) (compile-all (read-lines chosen-list) out-dir))
  (("image-table") (image-table))
  (("load-all" go-list) (load-all (read-lines go-list)))
  (args (format (current-error-port) "workload: bad arguments ~s~%" args)
        (exit 2)))
