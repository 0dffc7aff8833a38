// C shim over ncursesw. Swift 6 cannot import C globals (stdscr, COLORS) or
// function-like macros (COLOR_PAIR, getmaxyx, A_* attributes, KEY_F): this header
// exposes each of them as a small static inline function. Nothing else lives here.
#ifndef OPSDECK_CCURSES_SHIM_H
#define OPSDECK_CCURSES_SHIM_H

#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* wcwidth is X/Open; declared here so that it is visible whatever feature macros the
   system headers were built with. */
extern int wcwidth(wchar_t c);
static inline int opsdeck_wcwidth(unsigned int c) { return wcwidth((wchar_t)c); }

static inline WINDOW *opsdeck_stdscr(void) { return stdscr; }
/* Makes the next refresh repaint the whole screen (Ctrl-L). */
static inline int opsdeck_clear_on_next_refresh(void) { return clearok(curscr, TRUE); }
static inline int opsdeck_colors(void) { return COLORS; }
static inline int opsdeck_color_pairs(void) { return COLOR_PAIRS; }
static inline int opsdeck_rows(void) { int y, x; getmaxyx(stdscr, y, x); (void)x; return y; }
static inline int opsdeck_cols(void) { int y, x; getmaxyx(stdscr, y, x); (void)y; return x; }
/* The terminal's size as the kernel has it now (0 when it cannot say). */
static inline int opsdeck_window_size(int *rows, int *cols) {
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return 0;
    *rows = ws.ws_row; *cols = ws.ws_col;
    return 1;
}
static inline int opsdeck_key_f(int n) { return KEY_F(n); }
static inline int opsdeck_keypad(bool on) { return keypad(stdscr, on); }
static inline int opsdeck_nodelay(bool on) { return nodelay(stdscr, on); }
static inline int opsdeck_key_mouse(void) { return KEY_MOUSE; }
/* Left clicks and the wheel; no motion reports (they would wake the console for nothing). */
static inline void opsdeck_mouse(bool on) {
    mouseinterval(0);
    mousemask(on ? (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED) : 0, NULL);
}
/* The pending mouse event: 1 left button, 4 wheel up, 5 wheel down, 0 other; -1 none. */
static inline int opsdeck_mouse_event(int *y, int *x) {
    MEVENT event;
    if (getmouse(&event) != OK) return -1;
    *y = event.y;
    *x = event.x;
    if (event.bstate & BUTTON4_PRESSED) return 4;
    if (event.bstate & BUTTON5_PRESSED) return 5;
    if (event.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) return 1;
    return 0;
}

enum {
    OPSDECK_ATTR_BOLD = 1 << 0,
    OPSDECK_ATTR_DIM = 1 << 1,
    OPSDECK_ATTR_ITALIC = 1 << 2,
    OPSDECK_ATTR_UNDERLINE = 1 << 3,
    OPSDECK_ATTR_REVERSE = 1 << 4,
    OPSDECK_ATTR_BLINK = 1 << 5,
};

/// Maps OpsDeck's attribute bits onto ncurses' A_* macros.
static inline attr_t opsdeck_attrs(unsigned bits) {
    attr_t a = A_NORMAL;
    if (bits & OPSDECK_ATTR_BOLD) a |= A_BOLD;
    if (bits & OPSDECK_ATTR_DIM) a |= A_DIM;
#ifdef A_ITALIC
    if (bits & OPSDECK_ATTR_ITALIC) a |= A_ITALIC;
#endif
    if (bits & OPSDECK_ATTR_UNDERLINE) a |= A_UNDERLINE;
    if (bits & OPSDECK_ATTR_REVERSE) a |= A_REVERSE;
    if (bits & OPSDECK_ATTR_BLINK) a |= A_BLINK;
    return a;
}

/// Writes one cell: a grapheme of up to CCHARW_MAX wide chars with attributes and an
/// (extended) colour pair. Writing the bottom-right cell returns ERR but still draws.
static inline int opsdeck_put_cell(int y, int x, const wchar_t *wch, unsigned attrBits, int pair) {
    cchar_t c;
    if (setcchar(&c, wch, opsdeck_attrs(attrBits), 0, &pair) == ERR) return ERR;
    return mvwadd_wch(stdscr, y, x, &c);
}

#endif
