package io.github.qemucpr.testing;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.MissingNode;

/**
 * A scripted, in-process QMP server on a Unix socket, in the manner of OkHttp's MockWebServer:
 * tests script replies per command, run the real client against it, then assert on what it
 * recorded.
 *
 * <pre>{@code
 * try (FakeQmpServer server = FakeQmpServer.start()) {
 *   server.on("query-status", Responders.returns("{\"running\":true,\"status\":\"running\"}"));
 *   try (QmpClient qmp = QmpClient.connect(server.socketPath())) { ... }
 *   assertThat(server.takeRequest().command()).isEqualTo("qmp_capabilities");
 * }
 * }</pre>
 *
 * <p>By default it greets as QEMU 10.0.2 offering {@code oob}, answers {@code qmp_capabilities}
 * with {@code {}}, and answers unscripted commands with a {@code CommandNotFound} error. Scripted
 * one-shot responders ({@link #enqueue}) take precedence over persistent ones ({@link #on}).
 * Descriptors passed with a request count for the next {@code add-fd} or {@code getfd}, as in QEMU
 * ({@link Request#fileDescriptors()}); other requests report none. Connections are served one at a
 * time, as QEMU does.
 *
 * <p>It speaks QMP as QEMU 10 does: input is a stream of JSON values (a command may span lines, and
 * several may share one); malformed input gets a {@code GenericError} and the connection stays
 * open; until {@code qmp_capabilities} succeeds every other command gets QEMU's {@code
 * CommandNotFound}, and a second {@code qmp_capabilities} is refused; a command sent without {@code
 * id} gets a reply without one. A client that stops reading is dropped once a write has been
 * blocked for {@link #writeTimeout(Duration)} (5 s unless set).
 */
public final class FakeQmpServer implements AutoCloseable {

  /** The greeting of a QEMU 10.0.2 that offers out-of-band execution. */
  public static final String QEMU_10_GREETING =
      "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 2, \"minor\": 0, \"major\": 10},"
          + " \"package\": \"fake\"}, \"capabilities\": [\"oob\"]}}";

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final AtomicInteger THREADS = new AtomicInteger();

  /** The commands that take the descriptors passed with them, as QEMU's monitor does. */
  private static final Set<String> TAKES_DESCRIPTORS = Set.of("add-fd", "getfd");

  /** One thread for every fake: it ends writes that a client left blocked by not reading. */
  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "fake-qmp-write-watchdog");
            t.setDaemon(true);
            return t;
          });

  private static final String NOT_NEGOTIATED =
      "Expecting capabilities negotiation with 'qmp_capabilities'";
  private static final String NEGOTIATED_TWICE =
      "Capabilities negotiation is already complete, command ignored";

  private final Path dir;
  private final Path socketPath;
  private final AFUNIXServerSocket serverSocket;
  private final Thread acceptor;
  private final ScheduledExecutorService scheduler;
  private final Map<String, Responder> persistent = new HashMap<>();
  private final Map<String, Deque<Responder>> oneShot = new HashMap<>();
  private final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
  private final List<Request> allRequests = new CopyOnWriteArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private volatile @Nullable String greeting = QEMU_10_GREETING;
  private volatile @Nullable Connection current;
  private volatile boolean closed;
  private volatile Duration writeTimeout = Duration.ofSeconds(5);
  // guarded by gate
  private boolean accepting = true;
  private final Object gate = new Object();
  private volatile @Nullable AFUNIXSocket parked;

  private FakeQmpServer() throws IOException {
    dir = Files.createTempDirectory("fake-qmp");
    socketPath = dir.resolve("qmp.sock");
    serverSocket = AFUNIXServerSocket.newInstance();
    serverSocket.bind(AFUNIXSocketAddress.of(socketPath));
    int n = THREADS.incrementAndGet();
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "fake-qmp-" + n + "-delay");
              t.setDaemon(true);
              return t;
            });
    on("qmp_capabilities", Responders.returns("{}"));
    acceptor = new Thread(this::acceptLoop, "fake-qmp-" + n + "-server");
    acceptor.setDaemon(true);
  }

  /** Starts a server on a fresh socket in a temporary directory. */
  public static FakeQmpServer start() {
    try {
      FakeQmpServer server = new FakeQmpServer();
      server.acceptor.start();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The socket to connect to. */
  public Path socketPath() {
    return socketPath;
  }

  /** Replaces the greeting line; {@code null} means never greet (a stuck or foreign server). */
  public FakeQmpServer greeting(@Nullable String rawJson) {
    this.greeting = rawJson;
    return this;
  }

  /**
   * Sets how long one write to a client may block (the client not reading) before the server drops
   * that connection, as a stuck test would otherwise hang; 5 s unless set.
   *
   * @param timeout a positive duration
   * @return this server
   */
  public FakeQmpServer writeTimeout(Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("not positive: " + timeout);
    }
    this.writeTimeout = timeout;
    return this;
  }

  /**
   * Stops accepting, as a frozen QEMU: the socket stays, a client's connect still succeeds (the
   * kernel queues it), but nobody greets it or reads what it sends. The connection being served, if
   * any, is served on. {@link #resumeAccepting()} undoes it.
   */
  public void stopAccepting() {
    synchronized (gate) {
      accepting = false;
    }
  }

  /** Accepts again after {@link #stopAccepting()}: a client left waiting is greeted now. */
  public void resumeAccepting() {
    synchronized (gate) {
      accepting = true;
      gate.notifyAll();
    }
  }

  /**
   * Sends an event to the connected client, at any time and from any thread, as QEMU's monitor
   * does: only a client that has completed {@code qmp_capabilities} gets events, and an event with
   * no such client is dropped. Unlike {@link #sendEvent} it never waits for a client.
   *
   * @param name the event's name, e.g. {@code SUSPEND}
   * @param dataJson its data object as JSON, or {@code null} for {@code {}}
   * @return whether a negotiated client was connected to send it to
   */
  public boolean emitEvent(String name, @Nullable String dataJson) {
    Connection c = current;
    if (c == null || !c.negotiated) {
      return false;
    }
    c.write(eventLine(name, dataJson));
    return true;
  }

  /**
   * Ends as an exiting QEMU does: no more connections, the socket file removed, the current
   * connection closed. Safe to call from a responder; {@link #close()} still cleans up the rest.
   */
  public void exit() {
    closed = true;
    try {
      serverSocket.close();
    } catch (IOException ignored) {
      // closing
    }
    deleteQuietly(socketPath);
    wakeGate();
    disconnect();
  }

  /** Answers every {@code command} with {@code responder}, unless a one-shot one is queued. */
  public synchronized FakeQmpServer on(String command, Responder responder) {
    persistent.put(command, responder);
    return this;
  }

  /** Answers the next {@code command} with {@code responder}, once. */
  public synchronized FakeQmpServer enqueue(String command, Responder responder) {
    oneShot.computeIfAbsent(command, k -> new ArrayDeque<>()).add(responder);
    return this;
  }

  /** Takes the oldest request not yet taken, waiting up to 5 s. */
  public Request takeRequest() {
    try {
      Request r = requests.poll(5, TimeUnit.SECONDS);
      if (r == null) {
        throw new AssertionError("no request arrived within 5 s");
      }
      return r;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Every request received so far, in order. */
  public List<Request> requests() {
    return List.copyOf(allRequests);
  }

  /** The names of every command received so far, in order, without {@code qmp_capabilities}. */
  public List<String> commandNames() {
    List<String> names = new ArrayList<>();
    for (Request r : allRequests) {
      if (!r.command().equals("qmp_capabilities")) {
        names.add(r.command());
      }
    }
    return names;
  }

  /** How many clients have connected. */
  public int connections() {
    return connections.get();
  }

  /** Sends a raw line (a newline is added) to the connected client. */
  public void send(String rawLine) {
    requireConnection().write(rawLine + "\n");
  }

  /** Sends raw bytes as they are, with no newline. */
  public void sendBytes(byte[] bytes) {
    requireConnection().write(bytes);
  }

  /** Sends an event with the given data object (JSON, or {@code null} for none). */
  public void sendEvent(String name, @Nullable String dataJson) {
    requireConnection().write(eventLine(name, dataJson));
  }

  /** Closes the current connection, as a dying QEMU would. */
  public void disconnect() {
    Connection c = current;
    if (c != null) {
      c.close();
    }
  }

  /** Waits until a client is connected and greeted (if greeting is set). */
  public void awaitConnection() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (true) {
      Connection c = current;
      if (c != null && c.greeted) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no client connected within 5 s");
      }
      sleep(5);
    }
  }

  @Override
  public void close() {
    closed = true;
    wakeGate();
    AFUNIXSocket waiting = parked;
    if (waiting != null) {
      try {
        waiting.close();
      } catch (IOException ignored) {
        // closing
      }
    }
    disconnect();
    try {
      serverSocket.close();
    } catch (IOException ignored) {
      // closing
    }
    scheduler.shutdownNow();
    acceptor.interrupt(); // a responder that still delays ends now
    try {
      acceptor.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the caller's, kept
    } finally {
      deleteQuietly(socketPath);
      deleteQuietly(dir);
    }
  }

  private void wakeGate() {
    synchronized (gate) {
      gate.notifyAll();
    }
  }

  /** Holds an accepted socket unserved while accepting is stopped; false if the server closed. */
  private boolean awaitAccepting(AFUNIXSocket socket) {
    parked = socket;
    try {
      synchronized (gate) {
        while (!accepting && !closed) {
          gate.wait();
        }
      }
    } catch (InterruptedException e) {
      return false;
    } finally {
      parked = null;
    }
    return !closed;
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException ignored) {
      // best effort: a temp file
    }
  }

  static String eventLine(String name, @Nullable String dataJson) {
    long micros = System.currentTimeMillis() * 1000;
    return "{\"event\": \""
        + name
        + "\", \"data\": "
        + (dataJson == null ? "{}" : dataJson)
        + ", \"timestamp\": {\"seconds\": "
        + micros / 1_000_000
        + ", \"microseconds\": "
        + micros % 1_000_000
        + "}}\n";
  }

  private Connection requireConnection() {
    awaitConnection();
    Connection c = current;
    if (c == null) {
      throw new AssertionError("the client disconnected");
    }
    return c;
  }

  private void acceptLoop() {
    while (!closed) {
      AFUNIXSocket socket;
      try {
        socket = serverSocket.accept();
      } catch (IOException e) {
        return;
      }
      if (!awaitAccepting(socket)) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing
        }
        return;
      }
      connections.incrementAndGet();
      Connection c;
      try {
        c = new Connection(socket);
      } catch (IOException e) {
        continue;
      }
      current = c;
      c.serve();
      current = null;
    }
  }

  private synchronized Responder responderFor(String command) {
    Deque<Responder> queue = oneShot.get(command);
    if (queue != null && !queue.isEmpty()) {
      return queue.poll();
    }
    Responder r = persistent.get(command);
    return r != null
        ? r
        : Responders.error("CommandNotFound", "The command " + command + " has not been found");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A received command.
   *
   * @param command the command's name ({@code execute} or {@code exec-oob})
   * @param arguments its arguments, an empty object when none were sent
   * @param id its {@code id} as sent; a missing node ({@link JsonNode#isMissingNode()}) when the
   *     command had none, and then the reply has none either
   * @param fileDescriptors how many descriptors the command took
   */
  public record Request(String command, JsonNode arguments, JsonNode id, int fileDescriptors) {
    /** An argument as text, or {@code null} when absent. */
    public @Nullable String argument(String name) {
      JsonNode n = arguments.get(name);
      return n == null ? null : n.isString() ? n.stringValue() : n.toString();
    }
  }

  /** Decides what the server sends for one request. */
  @FunctionalInterface
  public interface Responder {
    /** Acts on {@code request} through {@code exchange}. */
    void respond(Request request, Exchange exchange);
  }

  /** What a responder can do with the connection. */
  public final class Exchange {
    private final Connection connection;
    private final Request request;

    Exchange(Connection connection, Request request) {
      this.connection = connection;
      this.request = request;
    }

    /** Replies with {@code {"return": JSON, "id": ...}}, without {@code id} if none was sent. */
    public void returns(String json) {
      connection.write("{\"return\": " + json + idMember(request.id()) + "}\n");
    }

    /**
     * Replies with an error of the given class; for {@code qmp_capabilities} the negotiation then
     * counts as failed.
     */
    public void error(String errorClass, String desc) {
      if (request.command().equals("qmp_capabilities")) {
        connection.negotiated = false;
      }
      connection.write(
          "{\"error\": {\"class\": "
              + JSON.valueToTree(errorClass)
              + ", \"desc\": "
              + JSON.valueToTree(desc)
              + "}"
              + idMember(request.id())
              + "}\n");
    }

    /** Sends an event now. */
    public void event(String name, @Nullable String dataJson) {
      connection.write(eventLine(name, dataJson));
    }

    /** Sends raw text as it is. */
    public void raw(String text) {
      connection.write(text);
    }

    /** Runs {@code action} after {@code delay}, off the server thread. */
    public void later(Duration delay, Runnable action) {
      scheduler.schedule(action, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Closes the connection, as a QEMU that dies mid-command would. */
    public void disconnect() {
      connection.close();
    }

    /** The request's id as sent. */
    public JsonNode id() {
      return request.id();
    }
  }

  /** {@code , "id": ID} for a reply, or nothing when the command was sent without an id. */
  static String idMember(JsonNode id) {
    return id.isMissingNode() ? "" : ", \"id\": " + id;
  }

  /**
   * The detail QEMU's JSON parser gives for the commonest mistakes; the rest read as its default.
   */
  private static String parseErrorDetail(RuntimeException e) {
    String m = String.valueOf(e.getMessage());
    return m.contains("expecting a colon") ? "missing : in object pair" : "expecting value";
  }

  private final class Connection {
    private final AFUNIXSocket socket;
    private final OutputStream out;
    private final JsonValues values;
    private final List<FileDescriptor> held = new ArrayList<>();
    volatile boolean greeted;
    volatile boolean negotiated;

    Connection(AFUNIXSocket socket) throws IOException {
      this.socket = socket;
      this.socket.setAncillaryReceiveBufferSize(1024);
      this.out = socket.getOutputStream();
      this.values = new JsonValues(socket.getInputStream(), 64 * 1024 * 1024);
    }

    void serve() {
      String hello = greeting;
      if (hello != null) {
        write(hello + "\n");
      }
      greeted = true;
      try {
        while (true) {
          byte[] text = values.next();
          if (text == null) {
            return;
          }
          FileDescriptor[] fds = socket.getReceivedFileDescriptors();
          if (fds != null && fds.length > 0) {
            // As QEMU's socket chardev: descriptors are held until a command takes them, and new
            // ones replace those not taken. One read may take several pipelined commands, so they
            // can show up with an earlier command than the one they were sent with.
            closeHeld();
            held.addAll(List.of(fds));
          }
          handle(text);
        }
      } catch (IOException | RuntimeException e) {
        // the client went away or the test closed us
      } finally {
        closeHeld();
        close();
      }
    }

    private void handle(byte[] text) {
      JsonNode message;
      try {
        message = JSON.readTree(text);
      } catch (RuntimeException e) {
        refuse(
            MissingNode.getInstance(), "GenericError", "JSON parse error, " + parseErrorDetail(e));
        return;
      }
      if (message == null || !message.isObject()) {
        refuse(MissingNode.getInstance(), "GenericError", "QMP input must be a JSON object");
        return;
      }
      JsonNode sentId = message.get("id");
      JsonNode id = sentId == null ? MissingNode.getInstance() : sentId;
      JsonNode name = message.has("execute") ? message.get("execute") : message.get("exec-oob");
      if (name == null) {
        refuse(id, "GenericError", "QMP input lacks member 'execute'");
        return;
      }
      String command = name.asString("");
      int fdCount = 0;
      if (TAKES_DESCRIPTORS.contains(command)) {
        fdCount = held.size();
        closeHeld();
      }
      JsonNode args = message.get("arguments");
      Request request =
          new Request(
              command, args == null ? JsonNodeFactory.instance.objectNode() : args, id, fdCount);
      allRequests.add(request);
      requests.add(request);
      if (command.equals("qmp_capabilities") && negotiated) {
        refuse(id, "CommandNotFound", NEGOTIATED_TWICE);
      } else if (!command.equals("qmp_capabilities") && !negotiated) {
        refuse(id, "CommandNotFound", NOT_NEGOTIATED);
      } else {
        if (command.equals("qmp_capabilities")) {
          // QEMU's monitor enters command mode as it runs the command; a scripted responder that
          // answers with Exchange.error undoes it, any other answer (raw text too) is a success
          negotiated = true;
        }
        responderFor(command).respond(request, new Exchange(this, request));
      }
    }

    private void refuse(JsonNode id, String errorClass, String desc) {
      write(
          "{\"error\": {\"class\": "
              + JSON.valueToTree(errorClass)
              + ", \"desc\": "
              + JSON.valueToTree(desc)
              + "}"
              + idMember(id)
              + "}\n");
    }

    private void closeHeld() {
      for (FileDescriptor fd : held) {
        closeDescriptor(fd);
      }
      held.clear();
    }

    void write(String text) {
      write(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes, or drops the connection when the client has not read for the write timeout: the
     * shared watchdog closes the socket, which ends the blocked write.
     */
    synchronized void write(byte[] bytes) {
      ScheduledFuture<?> alarm =
          WATCHDOG.schedule(this::close, writeTimeout.toNanos(), TimeUnit.NANOSECONDS);
      try {
        out.write(bytes);
        out.flush();
      } catch (IOException e) {
        close(); // the client is gone or stopped reading; a test asserting on the client sees that
      } finally {
        alarm.cancel(false);
      }
    }

    void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // already closed
      }
    }

    private void closeDescriptor(FileDescriptor fd) {
      try (var in = new java.io.FileInputStream(fd)) {
        // closing the stream closes the received descriptor
      } catch (IOException ignored) {
        // best effort
      }
    }
  }
}
