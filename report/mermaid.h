/* mermaid.h - Mermaid sequence diagrams in Markdown (--mermaid): one
 * "## title" heading and one ```mermaid block per diagram, in the style of
 * the smtpbook book's diagrams (participants with short aliases, a DNS
 * participant, DNS questions in grey rect blocks, notes for verdicts).
 *
 * Generic: it knows participants, arrows, notes and rects, nothing of mail.
 * Every text may come from the wire. Characters that mean something to
 * Mermaid, HTML or Markdown (; # : % < > & `) are written as Mermaid entity
 * codes (#59; ...), which Mermaid turns back into the characters after
 * parsing, so a text renders as given and never ends its statement, opens a
 * comment or directive (%%), closes a block (end) or draws an arrow. Control
 * bytes, bytes that are not UTF-8 and invisible or direction-changing
 * characters (U+2028, U+202E, U+FEFF ...) are shown as \xNN per byte, a
 * backslash as \\. A text's line ends ("\n" or "\r\n") become <br>; one at
 * its very end is dropped. Blanks at the ends of a line (space, no-break
 * space, U+3000 ...) are entity codes too, or Mermaid would trim them.
 *
 * Order: participants may be declared at any time; they are written first,
 * in the order they were declared, because the steps (arrows, notes, rects)
 * are kept in memory until mermaid_end(). Nothing is written before
 * mermaid_end().
 *
 * Caps (a diagram must stay under Mermaid's maxTextSize, 50,000 characters,
 * or GitHub and GitLab show an error instead): each text is cut at
 * MERMAID_TEXT_MAX bytes or MERMAID_TEXT_LINES lines as written, with "…";
 * names and details at MERMAID_NAME_MAX, the title at MERMAID_TITLE_MAX.
 * Once a diagram holds MERMAID_MAX_STEPS arrows and notes or
 * MERMAID_BODY_MAX bytes of steps, every later step is left out, and a last
 * note says how many ("12 more steps left out"); steps naming a participant
 * that was not declared (or refused at MERMAID_MAX_PARTICIPANTS) are left
 * out and counted too.
 */
#ifndef SS_MERMAID_H
#define SS_MERMAID_H

#include <stddef.h>
#include <stdio.h>

#define MERMAID_TEXT_MAX 1000 /* bytes of one arrow's or note's text, as written */
#define MERMAID_TEXT_LINES 24 /* lines of one text */
#define MERMAID_NAME_MAX 200  /* bytes of a participant's name, and of its detail */
#define MERMAID_TITLE_MAX 200 /* bytes of the title, as written */
#define MERMAID_MAX_PARTICIPANTS 24
#define MERMAID_MAX_STEPS 2000 /* arrows and notes per diagram */
#define MERMAID_BODY_MAX 36000 /* bytes of the steps of one diagram */
#define MERMAID_MAX_DEPTH 8    /* rects inside rects */

/* Arrow kinds, or'ed: solid ->> by default. */
#define MERMAID_DASHED 1 /* -->>, a reply */
#define MERMAID_CROSS 2  /* -x or --x, a try that failed */

struct mermaid;

/* A diagram to be written to out by mermaid_end(), under a "## title"
 * heading (title NULL: none). The title is escaped for Markdown. NULL when
 * memory runs out. out stays the caller's. */
struct mermaid *mermaid_begin(FILE *out, const char *title);
struct mermaid *mermaid_begin_n(FILE *out, const void *title, size_t len);

/* Declares a participant shown as name, or as name<br>detail (detail NULL:
 * none), and returns its alias: the first label of name (split at dots,
 * any case) that is one of client, smtp, mx, imap, pop, pop3, lmtp, dns, ns,
 * log, relay ("dkim.smtp.a.test" is smtp, "DNS" is dns), with 2, 3... after
 * it when taken; else p1, p2 ... Declaring a name and detail again gives the
 * same alias (names alike in their first MERMAID_NAME_MAX bytes as written
 * are one participant). The alias lives until mermaid_end(). NULL past
 * MERMAID_MAX_PARTICIPANTS or when memory runs out. */
const char *mermaid_participant(struct mermaid *m, const char *name, const char *detail);
const char *mermaid_participant_n(struct mermaid *m, const void *name, size_t nlen,
                                  const void *detail, size_t dlen);

/* An arrow from one participant to another (the same one: a self-arrow),
 * by the aliases mermaid_participant() gave; kind is 0 or MERMAID_DASHED,
 * MERMAID_CROSS. text may be NULL (no text). Returns 0, or -1 when the arrow
 * was left out (a cap, an alias not declared, memory). */
int mermaid_arrow(struct mermaid *m, const char *from, const char *to, int kind, const char *text);
/* The same with a counted text: any bytes, NUL included. */
int mermaid_arrow_n(struct mermaid *m, const char *from, const char *to, int kind, const void *text,
                    size_t len);

/* A note over one participant, or over two and those between (over2 NULL
 * or equal to over: one). Returns as mermaid_arrow(). */
int mermaid_note(struct mermaid *m, const char *over, const char *over2, const char *text);
int mermaid_note_n(struct mermaid *m, const char *over, const char *over2, const void *text,
                   size_t len);

/* A grey box around the steps until the matching mermaid_rect_end(), as
 * the book draws DNS questions and answers: rect rgb(244, 244, 244). A rect
 * that would hold no step is not written; one past MERMAID_MAX_DEPTH or
 * after the caps were reached is ignored with its end; an end without a
 * rect is ignored; rects still open at mermaid_end() are closed. */
void mermaid_rect_begin(struct mermaid *m);
void mermaid_rect_end(struct mermaid *m);

/* Steps left out so far. */
size_t mermaid_left_out(const struct mermaid *m);

/* Writes the diagram (heading, fence, participants, steps, the note of
 * what was left out, closing fence, a blank line), flushes out and frees m
 * (NULL: nothing). Returns 0, or -1 when writing failed or m is NULL. */
int mermaid_end(struct mermaid *m);

#endif
