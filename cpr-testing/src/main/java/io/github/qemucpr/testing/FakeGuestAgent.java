package io.github.qemucpr.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * An in-process, scriptable stand-in for {@code qemu-ga} behind QEMU's chardev socket: a Unix
 * socket server that serves one client at a time and handles one request at a time, as the real
 * agent does. Every request is recorded ({@link #takeRequest()}); answers come from scripted {@link
 * Action}s, or from defaults that mimic qemu-ga 7.2:
 *
 * <ul>
 *   <li>each 0xFF byte received drops the partial request and is answered with {@code {"error":
 *       {"class": "GenericError", "desc": "JSON parse error, stray '\uFFFD'"}}} (switch off with
 *       {@link #strayErrorOnDelimiter(boolean)});
 *   <li>{@code guest-sync-delimited} answers {@code 0xFF {"return": ID}};
 *   <li>{@code guest-ping} answers {@code {}}; the suspend commands and {@code guest-shutdown}
 *       answer nothing; any other command is {@code CommandNotFound};
 *   <li>replies carry the request's {@code id}, if it had one.
 * </ul>
 *
 * <pre>{@code
 * try (FakeGuestAgent agent = FakeGuestAgent.start();
 *     GuestAgentClient qga = GuestAgentClient.connect(agent.socketPath())) {
 *   agent.enqueue("guest-get-host-name", Action.returns("{\"host-name\": \"vm1\"}"));
 *   assertThat(qga.hostName()).isEqualTo("vm1");
 *   assertThat(agent.takeRequest().command()).isEqualTo("guest-sync-delimited");
 * }
 * }</pre>
 */
public final class FakeGuestAgent implements AutoCloseable {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final byte DELIMITER = (byte) 0xFF;
  private static final byte[] STRAY_ERROR =
      ("{\"error\": {\"class\": \"GenericError\","
              + " \"desc\": \"JSON parse error, stray '\\uFFFD'\"}}\n")
          .getBytes(StandardCharsets.UTF_8);
  private static final Set<String> SILENT_ON_SUCCESS =
      Set.of("guest-suspend-ram", "guest-suspend-disk", "guest-suspend-hybrid", "guest-shutdown");

  /** One request as the fake agent parsed it. */
  public record Request(
      String command,
      JsonNode arguments,
      @Nullable JsonNode id,
      int delimitersBefore,
      String raw) {}

  /** One step of an answer; a request runs its steps in order, before the next request. */
  public interface Action {
    /** Runs the step against the connection. */
    void run(Connection connection, Request request) throws IOException;

    /** {@code {"return": JSON, "id": ...}}, with the request's id if it had one. */
    static Action returns(String json) {
      JsonNode value = parse(json);
      return (c, r) -> c.write(reply("return", value, r.id()));
    }

    /** {@code {"return": JSON}}, without an id even if the request had one (an older agent). */
    static Action returnsWithoutId(String json) {
      JsonNode value = parse(json);
      return (c, r) -> c.write(reply("return", value, null));
    }

    /** {@code {"error": {"class": CLASS, "desc": DESC}, "id": ...}}. */
    static Action error(String errorClass, String description) {
      JsonNode error =
          JsonNodeFactory.instance.objectNode().put("class", errorClass).put("desc", description);
      return (c, r) -> c.write(reply("error", error, r.id()));
    }

    /** Writes bytes exactly as given. */
    static Action raw(byte[] bytes) {
      byte[] copy = bytes.clone();
      return (c, r) -> c.write(copy);
    }

    /** Writes text (UTF-8) exactly as given. */
    static Action raw(String text) {
      return raw(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The answer to {@code guest-sync-delimited}: 0xFF then {@code {"return": ID}}. */
    static Action syncReply() {
      return (c, r) -> {
        byte[] json = reply("return", r.arguments().path("id"), null);
        byte[] bytes = new byte[json.length + 1];
        bytes[0] = DELIMITER;
        System.arraycopy(json, 0, bytes, 1, json.length);
        c.write(bytes);
      };
    }

    /** Waits before the next step; the agent answers nothing else meanwhile. */
    static Action delay(Duration duration) {
      return (c, r) -> {
        try {
          Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      };
    }

    /** Answers nothing. */
    static Action silence() {
      return (c, r) -> {};
    }

    /** Closes the connection, as QEMU does when it exits. */
    static Action disconnect() {
      return (c, r) -> c.close();
    }
  }

  /** The client connection, as the actions see it. */
  public static final class Connection {
    private final SocketChannel channel;

    Connection(SocketChannel channel) {
      this.channel = channel;
    }

    /** Writes all of {@code bytes}. */
    public synchronized void write(byte[] bytes) throws IOException {
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    }

    /** Closes the connection. */
    public void close() throws IOException {
      channel.close();
    }
  }

  private final Path directory;
  private final Path socket;
  private final ServerSocketChannel server;
  private final Thread acceptor;
  private final LinkedBlockingQueue<Request> requests = new LinkedBlockingQueue<>();
  private final List<Request> history = new ArrayList<>();
  private final Map<String, Deque<List<Action>>> scripts = new HashMap<>();
  private final Map<String, List<Action>> defaults = new HashMap<>();
  private final LinkedBlockingQueue<Connection> connections = new LinkedBlockingQueue<>();
  private volatile boolean strayErrorOnDelimiter = true;
  private volatile @Nullable Connection current;
  private volatile int connectionCount;
  private volatile boolean closed;

  private FakeGuestAgent() throws IOException {
    directory = Files.createTempDirectory("fake-qga");
    socket = directory.resolve("qga.sock");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    acceptor = new Thread(this::acceptLoop, "fake-qga-" + directory.getFileName());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Starts an agent on a fresh socket in a temporary directory. */
  public static FakeGuestAgent start() {
    try {
      return new FakeGuestAgent();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The socket to connect to. */
  public Path socketPath() {
    return socket;
  }

  /** Scripts the answer to the next {@code command} request; later calls queue further answers. */
  public FakeGuestAgent enqueue(String command, Action... actions) {
    synchronized (scripts) {
      scripts.computeIfAbsent(command, k -> new ArrayDeque<>()).add(List.of(actions));
    }
    return this;
  }

  /** Scripts the answer to every {@code command} request that has no queued answer. */
  public FakeGuestAgent always(String command, Action... actions) {
    synchronized (scripts) {
      defaults.put(command, List.of(actions));
    }
    return this;
  }

  /** Whether a 0xFF byte is answered with the stray-character error, as qemu-ga does. */
  public FakeGuestAgent strayErrorOnDelimiter(boolean answer) {
    strayErrorOnDelimiter = answer;
    return this;
  }

  /**
   * Writes bytes to the connected client now, waiting up to 5 s for a client to connect; to leave
   * stale replies or garbage in the stream.
   */
  public void sendRaw(byte[] bytes) {
    try {
      awaitConnection(Duration.ofSeconds(5)).write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** As {@link #sendRaw(byte[])}, for UTF-8 text. */
  public void sendRaw(String text) {
    sendRaw(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Closes the current client connection, as QEMU does when it exits. */
  public void disconnect() {
    Connection c = current;
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // already closed
      }
    }
  }

  /** The current client connection, waiting for one to arrive. */
  public Connection awaitConnection(Duration timeout) {
    Connection c = current;
    if (c != null) {
      return c;
    }
    try {
      Connection next = connections.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (next == null) {
        throw new AssertionError("no client connected to the fake agent within " + timeout);
      }
      return next;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** How many clients have connected so far. */
  public int connectionCount() {
    return connectionCount;
  }

  /** The next request not yet taken, waiting up to 5 s. */
  public Request takeRequest() {
    return takeRequest(Duration.ofSeconds(5));
  }

  /** The next request not yet taken, waiting up to {@code timeout}. */
  public Request takeRequest(Duration timeout) {
    try {
      Request r = requests.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (r == null) {
        throw new AssertionError("the fake agent received no request within " + timeout);
      }
      return r;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** The names of every request received so far, in order. */
  public List<String> commands() {
    synchronized (history) {
      return history.stream().map(Request::command).toList();
    }
  }

  /** Every request received so far, in order. */
  public List<Request> requests() {
    synchronized (history) {
      return List.copyOf(history);
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // nothing to do
    }
    disconnect();
    acceptor.interrupt(); // an action that still delays ends now
    try {
      acceptor.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the caller's, kept
    } finally {
      try {
        Files.deleteIfExists(socket);
        Files.deleteIfExists(directory);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  // ---------------------------------------------------------------- serving

  private void acceptLoop() {
    while (!closed) {
      SocketChannel channel;
      try {
        channel = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      Connection connection = new Connection(channel);
      current = connection;
      connectionCount++;
      connections.add(connection);
      try {
        serve(channel, connection);
      } catch (IOException e) {
        // the client went away, or an action closed the connection
      } finally {
        current = null;
        connections.remove(connection);
        try {
          channel.close();
        } catch (IOException ignored) {
          // already closed
        }
      }
    }
  }

  private void serve(SocketChannel channel, Connection connection) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(8192);
    ByteArrayOutputStream partial = new ByteArrayOutputStream();
    int delimiters = 0;
    while (true) {
      buffer.clear();
      int n;
      try {
        n = channel.read(buffer);
      } catch (ClosedChannelException e) {
        return;
      }
      if (n < 0) {
        return;
      }
      for (int i = 0; i < n; i++) {
        byte b = buffer.get(i);
        if (b == DELIMITER) {
          partial.reset();
          delimiters++;
          if (strayErrorOnDelimiter) {
            connection.write(STRAY_ERROR);
          }
        } else if (b == '\n') {
          byte[] line = partial.toByteArray();
          partial.reset();
          if (new String(line, StandardCharsets.UTF_8).isBlank()) {
            continue;
          }
          handle(connection, line, delimiters);
          delimiters = 0;
        } else {
          partial.write(b);
        }
      }
    }
  }

  private void handle(Connection connection, byte[] line, int delimiters) throws IOException {
    String raw = new String(line, StandardCharsets.UTF_8);
    JsonNode message;
    try {
      message = JSON.readTree(line);
    } catch (JacksonException e) {
      connection.write(
          "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error\"}}\n"
              .getBytes(StandardCharsets.UTF_8));
      return;
    }
    String command = message.path("execute").asString("");
    JsonNode arguments =
        message.has("arguments") ? message.get("arguments") : JsonNodeFactory.instance.objectNode();
    Request request = new Request(command, arguments, message.get("id"), delimiters, raw);
    synchronized (history) {
      history.add(request);
    }
    requests.add(request);
    for (Action action : actionsFor(command)) {
      action.run(connection, request);
    }
  }

  private List<Action> actionsFor(String command) {
    synchronized (scripts) {
      Deque<List<Action>> queued = scripts.get(command);
      if (queued != null && !queued.isEmpty()) {
        return queued.poll();
      }
      List<Action> always = defaults.get(command);
      if (always != null) {
        return always;
      }
    }
    if (command.equals("guest-sync-delimited")) {
      return List.of(Action.syncReply());
    }
    if (command.equals("guest-ping")) {
      return List.of(Action.returns("{}"));
    }
    if (SILENT_ON_SUCCESS.contains(command)) {
      return List.of();
    }
    return List.of(
        Action.error("CommandNotFound", "The command " + command + " has not been found"));
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("not JSON: " + json, e);
    }
  }

  private static byte[] reply(String member, JsonNode value, @Nullable JsonNode id) {
    var reply = JsonNodeFactory.instance.objectNode();
    reply.set(member, value);
    if (id != null) {
      reply.set("id", id);
    }
    byte[] json = JSON.writeValueAsBytes(reply);
    byte[] line = new byte[json.length + 1];
    System.arraycopy(json, 0, line, 0, json.length);
    line[json.length] = '\n';
    return line;
  }
}
