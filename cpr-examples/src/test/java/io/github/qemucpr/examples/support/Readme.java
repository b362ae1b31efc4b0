package io.github.qemucpr.examples.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The README's fenced code blocks, and the commands in its {@code sh} blocks. */
public final class Readme {
  private Readme() {}

  /** A fenced block: its language and its lines. */
  public record Block(String language, List<String> lines) {
    /** The block's text. */
    public String text() {
      return String.join("\n", lines);
    }

    /** The commands: continuation lines joined, comments and blank lines left out. */
    public List<String> commands() {
      List<String> commands = new ArrayList<>();
      StringBuilder current = new StringBuilder();
      for (String line : lines) {
        String l = line.strip();
        if (current.length() == 0 && (l.isEmpty() || l.startsWith("#"))) {
          continue;
        }
        if (l.endsWith("\\")) {
          current.append(l, 0, l.length() - 1).append(' ');
        } else {
          current.append(l);
          commands.add(current.toString().replaceAll("\\s+", " ").strip());
          current.setLength(0);
        }
      }
      if (current.length() > 0) {
        commands.add(current.toString().strip());
      }
      return commands;
    }
  }

  /** The README's text. */
  public static String text() {
    try {
      return Files.readString(Processes.projectRoot().resolve("README.md"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every fenced block, in order. */
  public static List<Block> blocks() {
    List<Block> blocks = new ArrayList<>();
    String language = null;
    List<String> lines = new ArrayList<>();
    for (String line : text().split("\n", -1)) {
      if (line.startsWith("```")) {
        if (language == null) {
          language = line.substring(3).strip();
          lines = new ArrayList<>();
        } else {
          blocks.add(new Block(language, List.copyOf(lines)));
          language = null;
        }
      } else if (language != null) {
        lines.add(line);
      }
    }
    return blocks;
  }

  /** The blocks in one language, such as {@code sh}. */
  public static List<Block> blocks(String language) {
    return blocks().stream().filter(b -> b.language().equals(language)).toList();
  }

  /** Every command of every {@code sh} block, in order. */
  public static List<String> shellCommands() {
    return blocks("sh").stream().flatMap(b -> b.commands().stream()).toList();
  }

  /** The path of a file in the repository. */
  public static Path file(String relative) {
    return Processes.projectRoot().resolve(relative);
  }
}
