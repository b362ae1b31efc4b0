package io.github.qemucpr.qapigen;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads QAPI's JSON dialect: objects, arrays, strings in single or double quotes, {@code true},
 * {@code false}, {@code null}, and {@code #} comments to the end of the line. Each top-level
 * expression is handed over with the doc comment block ({@code ##} ... {@code ##}) that precedes
 * it, so that the reader of the schema can take the facts it needs from it ({@code Since:}) and
 * nothing else. Also reads the generator's own model files, which are plain JSON.
 */
final class QapiSyntax {

  /** A top-level expression and the lines of the doc comment block just before it. */
  record Expression(Map<String, Object> value, List<String> doc, int line) {}

  private final String text;
  private final String source;
  private int pos;
  private int line = 1;
  private List<String> pendingDoc = List.of();

  private QapiSyntax(String text, String source) {
    this.text = text;
    this.source = source;
  }

  /** Every top-level expression of a file, in order. */
  static List<Expression> expressions(String text, String source) {
    QapiSyntax p = new QapiSyntax(text, source);
    List<Expression> out = new ArrayList<>();
    while (true) {
      p.skipSpaceAndComments();
      if (p.pos >= p.text.length()) {
        return out;
      }
      int at = p.line;
      List<String> doc = p.pendingDoc;
      p.pendingDoc = List.of();
      Object value = p.value();
      if (!(value instanceof Map<?, ?>)) {
        throw p.error("a top-level expression must be an object");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> map = (Map<String, Object>) value;
      out.add(new Expression(map, doc, at));
    }
  }

  /** One value, for the generator's model files. */
  static Object parse(String text, String source) {
    QapiSyntax p = new QapiSyntax(text, source);
    p.skipSpaceAndComments();
    Object value = p.value();
    p.skipSpaceAndComments();
    if (p.pos < p.text.length()) {
      throw p.error("text after the value");
    }
    return value;
  }

  private Object value() {
    skipSpaceAndComments();
    if (pos >= text.length()) {
      throw error("unexpected end of input");
    }
    char c = text.charAt(pos);
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '\'':
      case '"':
        return string();
      default:
        if (text.startsWith("true", pos)) {
          pos += 4;
          return Boolean.TRUE;
        }
        if (text.startsWith("false", pos)) {
          pos += 5;
          return Boolean.FALSE;
        }
        throw error("unexpected '" + c + "'");
    }
  }

  private Map<String, Object> object() {
    expect('{');
    Map<String, Object> map = new LinkedHashMap<>();
    skipSpaceAndComments();
    if (peek() == '}') {
      pos++;
      return map;
    }
    while (true) {
      skipSpaceAndComments();
      String key = string();
      skipSpaceAndComments();
      expect(':');
      Object v = value();
      if (map.put(key, v) != null) {
        throw error("duplicate key '" + key + "'");
      }
      skipSpaceAndComments();
      char c = next();
      if (c == '}') {
        return map;
      }
      if (c != ',') {
        throw error("expected ',' or '}'");
      }
    }
  }

  private List<Object> array() {
    expect('[');
    List<Object> list = new ArrayList<>();
    skipSpaceAndComments();
    if (peek() == ']') {
      pos++;
      return list;
    }
    while (true) {
      list.add(value());
      skipSpaceAndComments();
      char c = next();
      if (c == ']') {
        return list;
      }
      if (c != ',') {
        throw error("expected ',' or ']'");
      }
    }
  }

  private String string() {
    char quote = next();
    if (quote != '\'' && quote != '"') {
      throw error("expected a string");
    }
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw error("unterminated string");
      }
      char c = text.charAt(pos++);
      if (c == quote) {
        return sb.toString();
      }
      if (c == '\n') {
        throw error("newline in a string");
      }
      if (c == '\\') {
        char e = next();
        switch (e) {
          case 'n':
            sb.append('\n');
            break;
          case 't':
            sb.append('\t');
            break;
          case 'u':
            sb.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
            pos += 4;
            break;
          default:
            sb.append(e);
        }
      } else {
        sb.append(c);
      }
    }
  }

  private void skipSpaceAndComments() {
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c == '\n') {
        line++;
        pos++;
      } else if (Character.isWhitespace(c)) {
        pos++;
      } else if (c == '#') {
        if (text.startsWith("##", pos) && lineIs("##")) {
          pendingDoc = docBlock();
        } else {
          skipLine();
        }
      } else {
        return;
      }
    }
  }

  private boolean lineIs(String s) {
    int end = text.indexOf('\n', pos);
    return text.substring(pos, end < 0 ? text.length() : end).strip().equals(s);
  }

  private List<String> docBlock() {
    skipLine();
    List<String> lines = new ArrayList<>();
    while (pos < text.length()) {
      if (lineIs("##")) {
        skipLine();
        return lines;
      }
      int end = text.indexOf('\n', pos);
      String l = text.substring(pos, end < 0 ? text.length() : end);
      if (!l.startsWith("#")) {
        throw error("a doc comment block ends without ##");
      }
      lines.add(l.length() > 1 && l.charAt(1) == ' ' ? l.substring(2) : l.substring(1));
      skipLine();
    }
    return lines;
  }

  private void skipLine() {
    int end = text.indexOf('\n', pos);
    pos = end < 0 ? text.length() : end + 1;
    line++;
  }

  private char peek() {
    return pos < text.length() ? text.charAt(pos) : '\0';
  }

  private char next() {
    if (pos >= text.length()) {
      throw error("unexpected end of input");
    }
    return text.charAt(pos++);
  }

  private void expect(char c) {
    if (next() != c) {
      pos--;
      throw error("expected '" + c + "'");
    }
  }

  private IllegalArgumentException error(String message) {
    return new IllegalArgumentException(source + ":" + line + ": " + message);
  }
}
