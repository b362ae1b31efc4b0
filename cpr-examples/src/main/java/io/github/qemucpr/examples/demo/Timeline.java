package io.github.qemucpr.examples.demo;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * What happened when, in seconds since the demo started: a line printed as each step happens, and
 * the milestones again at the end, with the blackout marked. Single-threaded.
 */
final class Timeline {
  private final PrintWriter out;
  private final long startNanos = System.nanoTime();
  private final List<Milestone> milestones = new ArrayList<>();
  private @Nullable Duration blackoutStart;
  private @Nullable Duration blackoutEnd;

  private record Milestone(Duration at, String what, Blackout blackout) {}

  /** Where a milestone stands relative to the blackout. */
  enum Blackout {
    OUTSIDE,
    STARTS,
    DURING,
    ENDS
  }

  Timeline(PrintWriter out) {
    this.out = out;
  }

  /** The time since the demo started. */
  Duration now() {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /** Prints a line stamped now. */
  void add(String what) {
    out.println(String.format(Locale.ROOT, "%7.2fs  %s", seconds(now()), what));
    out.flush();
  }

  /** Prints an explanation, indented under the last line. */
  void note(String what) {
    out.println("          " + what);
    out.flush();
  }

  /** Records a milestone for the summary, stamped now. */
  void milestone(String what, Blackout blackout) {
    Duration at = now();
    if (blackout == Blackout.STARTS) {
      blackoutStart = at;
    } else if (blackout == Blackout.ENDS) {
      blackoutEnd = at;
    }
    milestones.add(new Milestone(at, what, blackout));
  }

  /** The blackout between the milestones that start and end it; zero without both. */
  Duration blackout() {
    return blackoutStart == null || blackoutEnd == null
        ? Duration.ZERO
        : blackoutEnd.minus(blackoutStart);
  }

  /** Prints the milestones, with a bar along the blackout. */
  void printSummary(String heading, Duration blackout) {
    out.println();
    out.println(heading);
    for (Milestone m : milestones) {
      String bar;
      switch (m.blackout()) {
        case STARTS:
          bar = ",- ";
          break;
        case DURING:
          bar = "|  ";
          break;
        case ENDS:
          bar = "'- ";
          break;
        default:
          bar = "   ";
          break;
      }
      String suffix =
          m.blackout() == Blackout.STARTS
              ? "   <- the blackout starts"
              : m.blackout() == Blackout.ENDS
                  ? String.format(Locale.ROOT, "   <- the blackout ends: %.2f s", seconds(blackout))
                  : "";
      out.println(
          String.format(Locale.ROOT, "%7.2fs  %s%s%s", seconds(m.at()), bar, m.what(), suffix));
    }
    out.flush();
  }

  static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }
}
