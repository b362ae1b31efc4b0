package io.github.qemucpr.examples.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The baseline: a QMP (or guest agent) client with no SDK code at all, only a JDK {@link
 * SocketChannel} on a Unix socket. It writes JSON lines built by hand, reads lines, and tells
 * replies from events by their first key, as a careful script would. It cannot pass file
 * descriptors: the JDK's Unix channels have no SCM_RIGHTS. Not thread-safe.
 *
 * <p>Every blocking call is bounded by a deadline: a watchdog thread closes the channel of a client
 * whose deadline has passed, which ends the blocked read with an exception.
 */
public final class RawQmp implements AutoCloseable {
  private static final Pattern EVENT_NAME = Pattern.compile("\"event\":\\s*\"([A-Za-z_-]+)\"");
  private static final Pattern TIMESTAMP =
      Pattern.compile("\"seconds\":\\s*(\\d+),\\s*\"microseconds\":\\s*(\\d+)");
  private static final Set<RawQmp> OPEN = ConcurrentHashMap.newKeySet();

  static {
    Thread watchdog = new Thread(RawQmp::watch, "raw-qmp-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }

  private final SocketChannel channel;
  private final String peer;
  private final ByteBuffer in = ByteBuffer.allocate(1 << 16);
  private final List<String> pendingEvents = new ArrayList<>();
  private volatile long deadlineNanos = Long.MAX_VALUE;
  private volatile boolean expired;
  private int column; // of the next byte in its line, for readReplies

  private RawQmp(SocketChannel channel, String peer) {
    this.channel = channel;
    this.peer = peer;
    in.flip(); // empty, ready to be read from
    OPEN.add(this);
  }

  /** Connects to a QMP monitor: greeting, then {@code qmp_capabilities}. */
  public static RawQmp connectQmp(Path socket, Duration timeout) {
    RawQmp q = open(socket);
    try {
      q.deadline(timeout);
      String greeting = q.readLine();
      if (greeting == null || !greeting.startsWith("{\"QMP\"")) {
        throw new IllegalStateException(socket + " did not greet as QMP: " + greeting);
      }
      q.command("{\"execute\":\"qmp_capabilities\"}");
      return q;
    } catch (RuntimeException e) {
      q.close();
      throw e;
    }
  }

  /**
   * Connects to a guest agent and synchronizes with {@code guest-sync}, skipping whatever an
   * earlier client left in the stream, as the agent's protocol asks.
   */
  public static RawQmp connectAgent(Path socket, Duration timeout) {
    RawQmp q = open(socket);
    try {
      q.deadline(timeout);
      long id = ThreadLocalRandom.current().nextLong(1, Integer.MAX_VALUE);
      q.send("{\"execute\":\"guest-sync\",\"arguments\":{\"id\":" + id + "}}");
      while (true) {
        String line = q.readLine();
        if (line == null) {
          throw new IllegalStateException("the agent at " + socket + " closed the connection");
        }
        if (line.contains("\"return\"") && line.contains(Long.toString(id))) {
          return q;
        }
      }
    } catch (RuntimeException e) {
      q.close();
      throw e;
    }
  }

  private static RawQmp open(Path socket) {
    try {
      SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
      ch.connect(UnixDomainSocketAddress.of(socket));
      return new RawQmp(ch, socket.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot connect to " + socket, e);
    }
  }

  /** Bounds the blocking calls from now on: the channel closes once {@code timeout} has passed. */
  public RawQmp deadline(Duration timeout) {
    deadlineNanos = System.nanoTime() + timeout.toNanos();
    return this;
  }

  /** Writes one JSON line. */
  public void send(String json) {
    write((json + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** Writes raw bytes, such as several requests at once. */
  public void write(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    try {
      while (b.hasRemaining()) {
        channel.write(b);
      }
    } catch (IOException e) {
      throw failure("write", e);
    }
  }

  /**
   * Sends a command and returns its reply line, keeping the events that come before it for {@link
   * #awaitEvent}.
   *
   * @throws IllegalStateException if QEMU answers with an error
   */
  public String command(String json) {
    send(json);
    while (true) {
      String line = readLine();
      if (line == null) {
        throw new IllegalStateException(peer + " closed the connection before replying to " + json);
      }
      if (line.startsWith("{\"return\"")) {
        return line;
      }
      if (line.startsWith("{\"error\"")) {
        throw new IllegalStateException(json + " failed: " + line);
      }
      if (line.contains("\"event\"")) {
        pendingEvents.add(line);
      }
    }
  }

  /** The next event, kept from before or read now. */
  public String nextEvent() {
    if (!pendingEvents.isEmpty()) {
      return pendingEvents.remove(0);
    }
    while (true) {
      String line = readLine();
      if (line == null) {
        throw new IllegalStateException(peer + " closed the connection while waiting for an event");
      }
      if (eventName(line) != null) {
        return line;
      }
    }
  }

  /**
   * The first event named {@code name} among those already read (kept while waiting for replies),
   * removed from them; null when none came yet. Reads nothing.
   */
  public @Nullable String takePendingEvent(String name) {
    for (int i = 0; i < pendingEvents.size(); i++) {
      if (name.equals(eventName(pendingEvents.get(i)))) {
        return pendingEvents.remove(i);
      }
    }
    return null;
  }

  /**
   * Returns the first event named {@code name} whose line contains {@code contains}; the events
   * before it are dropped.
   */
  public String awaitEvent(String name, String contains) {
    while (true) {
      String e = nextEvent();
      if (name.equals(eventName(e)) && e.contains(contains)) {
        return e;
      }
    }
  }

  /**
   * Waits for the end of a migration ({@code MIGRATION} completed or failed) and returns the
   * timestamp of the first event named {@code noted} on the way, or of the end when none came.
   *
   * @throws IllegalStateException if the migration failed
   */
  public Instant awaitMigrationEnd(String noted) {
    Instant seen = null;
    while (true) {
      String e = nextEvent();
      String name = eventName(e);
      if (seen == null && noted.equals(name)) {
        seen = timestamp(e);
      }
      if ("MIGRATION".equals(name) && e.contains("\"completed\"")) {
        return seen != null ? seen : timestamp(e);
      }
      if ("MIGRATION".equals(name) && e.contains("\"failed\"")) {
        throw new IllegalStateException(peer + ": the migration failed: " + e);
      }
    }
  }

  /** Reads until QEMU closes the connection, as it does after {@code quit}. */
  public void awaitClose() {
    try {
      while (readLine() != null) {
        // the reply to quit, SHUTDOWN
      }
    } catch (UncheckedIOException e) {
      if (!(e.getCause() instanceof java.net.SocketException)) {
        throw e; // a reset is how QEMU's exit may look from here
      }
    }
  }

  /** The next line without its newline, or {@code null} at the end of the stream. */
  public @Nullable String readLine() {
    StringBuilder line = null;
    while (true) {
      for (int i = in.position(); i < in.limit(); i++) {
        if (in.get(i) == '\n') {
          String part =
              new String(in.array(), in.position(), i - in.position(), StandardCharsets.UTF_8);
          in.position(i + 1);
          return line == null ? part : line.append(part).toString();
        }
      }
      if (in.hasRemaining()) {
        if (line == null) {
          line = new StringBuilder();
        }
        line.append(new String(in.array(), in.position(), in.remaining(), StandardCharsets.UTF_8));
        in.position(in.limit());
      }
      if (!fill()) {
        return line == null || line.length() == 0 ? null : line.toString();
      }
    }
  }

  /**
   * Reads until {@code lines} more newlines have arrived and returns how many of the lines were
   * replies ({@code {"return"}); allocates nothing. For the QMP speed baseline: a reply line is
   * recognized by its first bytes, as QEMU writes it.
   */
  public int readReplies(int lines, long @Nullable [] arrivalNanos, int arrivalOffset) {
    int seen = 0;
    int replies = 0;
    while (seen < lines) {
      if (!in.hasRemaining() && !fill()) {
        throw new IllegalStateException(peer + " closed the connection");
      }
      int p = in.position();
      int limit = in.limit();
      byte[] a = in.array();
      while (p < limit && seen < lines) {
        byte b = a[p++];
        if (column == 2 && b == 'r') {
          replies++; // {"return"
        }
        column++;
        if (b == '\n') {
          column = 0;
          if (arrivalNanos != null) {
            arrivalNanos[arrivalOffset + seen] = System.nanoTime();
          }
          seen++;
        }
      }
      in.position(p);
    }
    return replies;
  }

  private boolean fill() {
    in.compact();
    try {
      int n = channel.read(in);
      in.flip();
      if (n < 0) {
        return false;
      }
      if (n == 0 && !in.hasRemaining()) {
        throw new IllegalStateException(peer + ": the read buffer is full of one line");
      }
      return true;
    } catch (IOException e) {
      in.flip();
      throw failure("read", e);
    }
  }

  private RuntimeException failure(String what, IOException e) {
    if (expired) {
      return new IllegalStateException(
          peer + ": the " + what + " did not finish before the" + " deadline", e);
    }
    return new UncheckedIOException(peer + ": " + what + " failed", e);
  }

  /** The name of the event on this line, or {@code null} when it is not an event. */
  public static @Nullable String eventName(String line) {
    Matcher m = EVENT_NAME.matcher(line);
    return m.find() ? m.group(1) : null;
  }

  /** When QEMU sent the event on this line. */
  public static Instant timestamp(String eventLine) {
    Matcher m = TIMESTAMP.matcher(eventLine);
    if (!m.find()) {
      throw new IllegalArgumentException("no timestamp in " + eventLine);
    }
    return Instant.ofEpochSecond(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)) * 1000);
  }

  /** Escapes a string for a JSON string literal. */
  public static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  @Override
  public void close() {
    OPEN.remove(this);
    try {
      channel.close();
    } catch (IOException e) {
      // nothing to release
    }
  }

  private static void watch() {
    while (true) {
      long now = System.nanoTime();
      for (RawQmp q : OPEN) {
        if (now - q.deadlineNanos > 0) {
          q.expired = true;
          q.close();
        }
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        return;
      }
    }
  }
}
