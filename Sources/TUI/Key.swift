public enum MouseButton: Sendable, Hashable {
    case left, wheelUp, wheelDown
}

/// A key press, decoded from the terminal.
public enum Key: Hashable, Sendable {
    case character(Character)
    /// Ctrl plus a letter, lower-cased: `.control("c")` is Ctrl-C.
    case control(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case enter, escape, backspace, delete, insert, tab, backTab
    case function(Int)
    /// The terminal changed size (ncurses reports it as a key).
    case resize
    /// A click or a wheel turn at a cell (0-based column and row).
    case mouse(x: Int, y: Int, button: MouseButton)
    case unknown(Int32)

    /// Decodes a plain character delivered by `wget_wch`.
    public init(character value: UInt32) {
        switch value {
        case 0x0D, 0x0A: self = .enter
        case 0x1B: self = .escape
        case 0x09: self = .tab
        case 0x7F, 0x08: self = .backspace
        case 0x01...0x1A: self = .control(Character(Unicode.Scalar(value + 0x60)!))
        case 0x00: self = .control(" ")
        default:
            if let scalar = Unicode.Scalar(value) {
                self = .character(Character(scalar))
            } else {
                self = .unknown(Int32(bitPattern: value))
            }
        }
    }

    /// How help and hints spell the key.
    public var label: String {
        switch self {
        case .character(" "): "space"
        case .character(let c): String(c)
        case .control(let c): "Ctrl-\(c.uppercased())"
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .enter: "Enter"
        case .escape: "Esc"
        case .backspace: "Backspace"
        case .delete: "Del"
        case .insert: "Ins"
        case .tab: "Tab"
        case .backTab: "Shift-Tab"
        case .function(let n): "F\(n)"
        case .resize: "resize"
        case .mouse(let x, let y, _): "click at \(x),\(y)"
        case .unknown(let code): "key \(code)"
        }
    }
}
