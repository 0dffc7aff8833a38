import Foundation

/// Text made safe for a log file read with `cat` or `tail -f`: remote strings (server
/// errors, crash messages, device models) can carry terminal escape sequences, and a
/// log must never replay them. Every control character (C0 but tab, DEL, C1) and bidi
/// control becomes a visible `\u{…}`; a line stays one line.
public enum LogText {
    public static func plain(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value == 0x09 { return false }
        return value < 0x20 || (0x7F...0x9F).contains(value)
            || (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) || value == 0x200E || value == 0x200F
    }
}
