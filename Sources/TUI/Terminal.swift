import CCurses
import Foundation

/// Where frames go: a real terminal, or a headless canvas kept for tests.
public protocol Backend: AnyObject {
    var size: Size { get }
    /// Shows `canvas`, writing only what changed since the last frame.
    func draw(_ canvas: Canvas)
}

/// A backend with no terminal: keeps the last frame so tests can read what a person
/// would see.
public final class HeadlessBackend: Backend {
    public var size: Size
    public private(set) var frame: Canvas?
    public private(set) var frames = 0

    public init(size: Size) {
        self.size = size
    }

    public func draw(_ canvas: Canvas) {
        frame = canvas
        frames += 1
    }
}

/// The real terminal through ncursesw. Every call happens on the thread that created
/// it (the UI thread). `stop()` restores the terminal; it is safe to call twice.
public final class CursesTerminal: Backend {
    public private(set) var depth: ColorDepth = .monochrome
    private var previous: Canvas?
    private var pairs: [PairKey: Int32] = [:]
    private var active = false
    /// Standard input's file status flags before we made it non-blocking.
    private var stdinFlags: Int32 = -1

    private struct PairKey: Hashable {
        var fg: Int32
        var bg: Int32
    }

    /// Takes over the terminal: full screen, raw keys, no echo, hidden cursor.
    /// `colors: false` (NO_COLOR, a monochrome theme) keeps everything attribute-only.
    public init(colors: Bool = true, mouse: Bool = false) {
        _ = TerminalText.localeReady
        initscr()
        active = true
        raw()
        noecho()
        nonl()
        opsdeck_keypad(true)
        opsdeck_nodelay(true)
        set_escdelay(25)
        curs_set(0)
        // ncurses reads the rest of a mouse report with a plain read(): on a blocking
        // descriptor a report cut short would hang the console. Never block on input.
        stdinFlags = fcntl(STDIN_FILENO, F_GETFL)
        if stdinFlags >= 0 { _ = fcntl(STDIN_FILENO, F_SETFL, stdinFlags | O_NONBLOCK) }
        if mouse { opsdeck_mouse(true) }
        if colors && has_colors() {
            start_color()
            use_default_colors()
            depth = ColorDepth(colors: Int(opsdeck_colors()))
        }
    }

    deinit { stop() }

    public func stop() {
        guard active else { return }
        active = false
        opsdeck_mouse(false)
        curs_set(1)
        endwin()
        // The shell gets its terminal back as it was.
        if stdinFlags >= 0 { _ = fcntl(STDIN_FILENO, F_SETFL, stdinFlags) }
    }

    /// The terminal's size now. ncurses learns of a resize at its next read of input, and
    /// a burst of resizes can leave it at one of the sizes in between; the kernel's size
    /// is the truth, and ncurses is brought to it.
    public var size: Size {
        var rows: Int32 = 0, cols: Int32 = 0
        if opsdeck_window_size(&rows, &cols) == 1, rows != opsdeck_rows() || cols != opsdeck_cols() {
            resizeterm(rows, cols)
        }
        return Size(width: Int(opsdeck_cols()), height: Int(opsdeck_rows()))
    }

    /// Forgets what is on screen, so that the next `draw` repaints every cell (Ctrl-L).
    public func invalidate() {
        previous = nil
        opsdeck_clear_on_next_refresh()
    }

    public func draw(_ canvas: Canvas) {
        // Another size: the terminal (or tmux) may have scrolled or reflowed what was on
        // it, so nothing ncurses remembers of the screen can be trusted. Clear and send
        // every cell.
        if previous?.size != canvas.size { invalidate() }
        let changes = canvas.changes(since: previous)
        if previous == nil { erase() }
        for change in changes where !change.cell.isContinuation {
            put(change.cell, x: change.x, y: change.y)
        }
        previous = canvas
        wnoutrefresh(opsdeck_stdscr())
        doupdate()
    }

    private func put(_ cell: Cell, x: Int, y: Int) {
        var wide = Array(cell.symbol.unicodeScalars.prefix(4).map { wchar_t(bitPattern: $0.value) })
        wide.append(0)
        let pair = colorPair(cell.style)
        _ = opsdeck_put_cell(Int32(y), Int32(x), wide, UInt32(cell.style.attributes.rawValue), pair)
    }

    private func colorPair(_ style: Style) -> Int32 {
        guard depth > .monochrome else { return 0 }
        let key = PairKey(fg: depth.number(for: style.fg), bg: depth.number(for: style.bg))
        if key.fg == -1 && key.bg == -1 { return 0 }
        if let pair = pairs[key] { return pair }
        let pair = alloc_pair(key.fg, key.bg)
        let result = pair < 0 ? 0 : pair
        pairs[key] = result
        return result
    }

    /// Every key waiting in the input queue, without blocking.
    public func readKeys() -> [Key] {
        var keys: [Key] = []
        while keys.count < 256 {
            var value: wint_t = 0
            let status = wget_wch(opsdeck_stdscr(), &value)
            if status == ERR { break }
            if status == KEY_CODE_YES && Int32(value) == opsdeck_key_mouse() {
                var y: Int32 = 0, x: Int32 = 0
                switch opsdeck_mouse_event(&y, &x) {
                case 1: keys.append(.mouse(x: Int(x), y: Int(y), button: .left))
                case 4: keys.append(.mouse(x: Int(x), y: Int(y), button: .wheelUp))
                case 5: keys.append(.mouse(x: Int(x), y: Int(y), button: .wheelDown))
                default: break
                }
            } else if status == KEY_CODE_YES {
                keys.append(Self.decode(keyCode: Int32(value)))
            } else {
                keys.append(Key(character: UInt32(value)))
            }
        }
        return keys
    }

    static func decode(keyCode: Int32) -> Key {
        switch keyCode {
        case KEY_UP: .up
        case KEY_DOWN: .down
        case KEY_LEFT: .left
        case KEY_RIGHT: .right
        case KEY_PPAGE: .pageUp
        case KEY_NPAGE: .pageDown
        case KEY_HOME: .home
        case KEY_END: .end
        case KEY_ENTER: .enter
        case KEY_BACKSPACE: .backspace
        case KEY_DC: .delete
        case KEY_IC: .insert
        case KEY_BTAB: .backTab
        case KEY_RESIZE: .resize
        case opsdeck_key_f(1)...opsdeck_key_f(24): .function(Int(keyCode - opsdeck_key_f(0)))
        default: .unknown(keyCode)
        }
    }
}
