package io.github.qemucpr.qmp.internal.protocol;

import io.github.qemucpr.qmp.EventQueue;
import io.github.qemucpr.qmp.EventWait;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpCommand;
import io.github.qemucpr.qmp.QmpCommandException;
import io.github.qemucpr.qmp.QmpCommandNotFoundException;
import io.github.qemucpr.qmp.QmpConnectException;
import io.github.qemucpr.qmp.QmpConnectionClosedException;
import io.github.qemucpr.qmp.QmpEventListener;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.QmpGreeting;
import io.github.qemucpr.qmp.QmpInterruptedException;
import io.github.qemucpr.qmp.QmpProtocolException;
import io.github.qemucpr.qmp.QmpTimeoutException;
import io.github.qemucpr.qmp.Subscription;
import io.github.qemucpr.qmp.event.QmpEvent;
import io.github.qemucpr.qmp.internal.codec.Events;
import io.github.qemucpr.qmp.internal.codec.QmpJsonModule;
import io.github.qemucpr.qmp.internal.codec.Replies;
import io.github.qemucpr.qmp.internal.wire.Checks;
import io.github.qemucpr.qmp.internal.wire.FrameTooLargeException;
import io.github.qemucpr.qmp.internal.wire.JsonCodec;
import io.github.qemucpr.qmp.internal.wire.LineChannel;
import io.github.qemucpr.qmp.internal.wire.LineReader;
import io.github.qemucpr.qmp.internal.wire.PeerClosedException;
import io.github.qemucpr.qmp.internal.wire.TcpTransport;
import io.github.qemucpr.qmp.internal.wire.Transport;
import io.github.qemucpr.qmp.internal.wire.UnixSocketTransport;
import io.github.qemucpr.qmp.internal.wire.WriteTimeoutException;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The QMP protocol engine behind {@link QmpClient}, over a {@link LineChannel}. One thread per
 * connection: the channel's reader (matches replies to pending calls by id, and serves event waits
 * and event queues), which ends when the connection closes. Listeners run in arrival order on a
 * pool that all connections share, only while events wait for them, so that they can block neither
 * replies nor waits; calls expire on the JVM's one deadline timer ({@link Deadlines}). This class
 * connects, sends commands, reads and closes; the event side is in {@link EventDispatch} and the
 * calls awaiting replies, with their deadlines, are in {@link PendingCalls}.
 */
public final class QmpConnection implements QmpClient {
  /** How long a reader that failed waits for a concurrent writer's reason (see readerEnded). */
  private static final Duration WRITER_VERDICT = Duration.ofMillis(200);

  private static final System.Logger LOG = System.getLogger(QmpConnection.class.getName());
  static final JsonCodec CODEC = new JsonCodec(new QmpJsonModule());
  private static final AtomicLong CONNECTIONS = new AtomicLong();

  private final QmpSettings settings;
  private final LineChannel channel;
  private final String peer;
  private final String threadPrefix;
  private final PendingCalls calls;
  private final CompletableFuture<QmpGreeting> greetingFuture = new CompletableFuture<>();
  private final CompletableFuture<@Nullable Throwable> closeFuture = new CompletableFuture<>();
  private final AtomicReference<@Nullable QmpConnectionClosedException> closed =
      new AtomicReference<>();
  private final EventDispatch events;
  private volatile @Nullable QmpGreeting greeting;

  /** Set once the capabilities are negotiated: commands are sent only from then on. */
  private volatile boolean ready;

  // The commands of the connected QEMU (query-commands), asked once on first use by one shared
  // fetch; NO_LIST when QEMU answered with an error (no query-commands, as fakes) or with a list
  // that is not one, so generated commands are then sent unchecked and QEMU decides.
  private volatile @Nullable Set<String> commands;
  private final AtomicReference<@Nullable CompletableFuture<Set<String>>> commandsFetch =
      new AtomicReference<>();
  private static final Set<String> NO_LIST = Collections.unmodifiableSet(new HashSet<>());

  /** More commands than any QEMU has (about 250): a longer list is not believed. */
  static final int MAX_COMMANDS = 10_000;

  private static final String GENERATED_PACKAGE = "io.github.qemucpr.qmp.qapi.";
  private final java.util.OptionalLong peerProcessId;

  /**
   * The reason given when the reader fails so badly that even its message cannot be built (an
   * exhausted heap); made up front for that reason.
   */
  private final QmpConnectionClosedException readerFailed;

  private QmpConnection(QmpSettings settings, Transport transport) {
    this.settings = settings;
    this.peer = transport.describe();
    this.readerFailed =
        new QmpConnectionClosedException(
            "the QMP reader for "
                + peer
                + " failed (out of memory?); the client was closed,"
                + " connect again",
            null);
    this.peerProcessId = transport.peerProcessId(); // read while connected: it never changes
    this.threadPrefix =
        "qmp-" + (settings.name() != null ? settings.name() : CONNECTIONS.incrementAndGet()) + "-";
    this.events = new EventDispatch(peer, closed::get, settings.eventListener());
    this.calls = new PendingCalls(peer, this::shutdown);
    this.channel =
        new LineChannel(transport, threadPrefix + "reader", this::readAll, this::readerEnded);
  }

  /** Connects, reads the greeting and negotiates capabilities within the connect timeout. */
  public static QmpConnection open(QmpSettings settings) {
    long deadline = System.nanoTime() + settings.connectTimeout().toNanos();
    Transport transport;
    try {
      transport =
          settings.unixSocket() != null
              ? UnixSocketTransport.connect(settings.unixSocket(), settings.connectTimeout())
              : TcpTransport.connect(
                  Objects.requireNonNull(settings.tcpHost()),
                  settings.tcpPort(),
                  settings.connectTimeout());
    } catch (IOException e) {
      throw new QmpConnectException(
          "cannot connect to the QMP socket "
              + settings.peer()
              + ": "
              + e.getMessage()
              + ". Is QEMU running with -qmp "
              + (settings.unixSocket() != null ? "unix:PATH" : "tcp:HOST:PORT")
              + ",server=on,wait=off?",
          e);
    }
    QmpConnection connection = new QmpConnection(settings, transport);
    connection.channel.start();
    try {
      connection.negotiate(deadline);
      return connection;
    } catch (RuntimeException e) {
      connection.close();
      throw e;
    }
  }

  private void negotiate(long deadline) {
    QmpGreeting hello;
    try {
      hello = greetingFuture.get(remaining(deadline), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new QmpTimeoutException(
          "no QMP greeting from "
              + peer
              + " within "
              + settings.connectTimeout().toMillis()
              + " ms: another client may hold the socket (QEMU serves one client per monitor),"
              + " or this is not a QMP socket",
          settings.connectTimeout());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QmpInterruptedException("interrupted while waiting for the QMP greeting", e);
    } catch (ExecutionException e) {
      throw rethrow(e.getCause());
    }
    this.greeting = hello;
    Consumer<? super QmpClient> hook = settings.onConnect();
    if (hook != null) {
      hook.accept(this); // before qmp_capabilities: QEMU sends no event before it
    }
    ObjectNode arguments = CODEC.objectNode();
    if (settings.enableOob() && hello.offersOob()) {
      arguments.putArray("enable").add("oob");
    }
    Duration left = Duration.ofNanos(Math.max(1, remaining(deadline)));
    try {
      submit("qmp_capabilities", arguments, List.of(), Void.class, left).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QmpInterruptedException("interrupted during QMP capability negotiation", e);
    } catch (ExecutionException e) {
      throw rethrow(e.getCause());
    }
    ready = true;
  }

  // ---------------------------------------------------------------- commands

  @Override
  public QmpGreeting greeting() {
    QmpGreeting g = greeting;
    if (g == null) {
      throw new IllegalStateException("not connected yet");
    }
    return g;
  }

  @Override
  public <R extends @Nullable Object> R execute(QmpCommand<R> command) {
    return execute(command, settings.commandTimeout());
  }

  @Override
  public <R extends @Nullable Object> R execute(QmpCommand<R> command, Duration timeout) {
    Objects.requireNonNull(command, "command");
    timeout = checkTimeout(timeout);
    Duration left = timeout;
    if (generated(command) && commands == null) {
      // The list is asked within this command's timeout; the command gets what is left of it.
      long deadline = System.nanoTime() + timeout.toNanos();
      knownCommands(timeout, command.name());
      long rest = deadline - System.nanoTime();
      if (rest <= 0) {
        throw fetchTimedOut(command.name(), timeout);
      }
      left = Duration.ofNanos(rest);
    }
    return await(executeAsync(command, left), command.name());
  }

  @Override
  public boolean supports(String command) {
    Set<String> known = knownCommands(settings.commandTimeout(), command);
    // Without a list nothing is known to be missing: the command is sent and QEMU decides.
    return known == NO_LIST || known.contains(command);
  }

  /**
   * The commands of the connected QEMU, or {@link #NO_LIST}. Concurrent first callers wait for one
   * shared {@code query-commands}, each no longer than its own timeout. A fetch that timed out or
   * broke is forgotten, so that a later caller asks again; an answer, even an error, is kept.
   */
  private Set<String> knownCommands(Duration timeout, String forWhat) {
    Set<String> known = commands;
    if (known != null) {
      return known;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw fetchTimedOut(forWhat, timeout);
      }
      CompletableFuture<Set<String>> fetch = commandsFetch.get();
      if (fetch == null) {
        CompletableFuture<Set<String>> mine = new CompletableFuture<>();
        if (!commandsFetch.compareAndSet(null, mine)) {
          continue;
        }
        startFetch(mine, Duration.ofNanos(left));
        fetch = mine;
      }
      try {
        return fetch.get(left, TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        throw fetchTimedOut(forWhat, timeout);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new QmpInterruptedException(
            "interrupted while asking QEMU for its commands (for " + forWhat + ")", e);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof QmpTimeoutException) {
          continue; // an earlier caller's shorter wait ran out; ask again with what is left
        }
        throw rethrow(e.getCause());
      }
    }
  }

  private QmpTimeoutException fetchTimedOut(String forWhat, Duration timeout) {
    return new QmpTimeoutException(
        "no answer from "
            + peer
            + " to query-commands, asked to check "
            + forWhat
            + ", within "
            + timeout.toMillis()
            + " ms",
        timeout);
  }

  private void startFetch(CompletableFuture<Set<String>> shared, Duration timeout) {
    CompletableFuture<JsonNode> reply;
    try {
      reply = submit("query-commands", null, List.of(), JsonNode.class, timeout);
    } catch (RuntimeException e) {
      commandsFetch.compareAndSet(shared, null);
      shared.completeExceptionally(e);
      return;
    }
    reply.whenComplete(
        (list, failure) -> {
          if (failure == null) {
            Set<String> known = commandList(list);
            commands = known;
            shared.complete(known);
            return;
          }
          Throwable cause =
              failure instanceof CompletionException && failure.getCause() != null
                  ? failure.getCause()
                  : failure;
          if (cause instanceof QmpCommandException) {
            // QEMU answered: it will not list its commands, now or later.
            commands = NO_LIST;
            shared.complete(NO_LIST);
          } else {
            commandsFetch.compareAndSet(shared, null);
            shared.completeExceptionally(cause);
          }
        });
  }

  /**
   * The names in a {@code query-commands} reply, or {@link #NO_LIST} when it is not such a list.
   */
  private Set<String> commandList(@Nullable JsonNode reply) {
    String problem = null;
    Set<String> names = new HashSet<>();
    if (reply == null || !reply.isArray()) {
      problem = "not an array";
    } else if (reply.isEmpty()) {
      problem = "an empty array";
    } else if (reply.size() > MAX_COMMANDS) {
      problem = reply.size() + " entries, more than " + MAX_COMMANDS;
    } else {
      for (JsonNode c : reply) {
        JsonNode name = c.isObject() ? c.get("name") : null;
        if (name == null || !name.isString() || name.stringValue().isEmpty()) {
          problem = "an entry without a string name";
          break;
        }
        names.add(name.stringValue());
      }
    }
    if (problem != null) {
      LOG.log(
          System.Logger.Level.WARNING,
          "the query-commands reply of {0} is {1}; generated commands are sent unchecked",
          peer,
          problem);
      return NO_LIST;
    }
    return CommandLists.shared(names);
  }

  /**
   * A command of the generated QAPI surface, which is checked against QEMU's list before sending.
   */
  private static boolean generated(QmpCommand<?> command) {
    return command.getClass().getPackageName().startsWith(GENERATED_PACKAGE);
  }

  /**
   * The failure of a generated command the connected QEMU lacks, or null to send it. Known only
   * once the list was asked (the blocking {@code execute} and {@code supports} ask it).
   */
  private @Nullable QmpCommandNotFoundException lacking(QmpCommand<?> command) {
    Set<String> known = commands;
    if (known == null || known == NO_LIST || !generated(command)) {
      return null;
    }
    String name = command.name();
    if (known.contains(name)) {
      return null;
    }
    QmpGreeting g = greeting;
    return new QmpCommandNotFoundException(
        name,
        "CommandNotFound",
        (g != null ? "QEMU " + g.version() : "the connected QEMU")
            + " has no command "
            + name
            + " (its query-commands does not list it), so it was not sent; check"
            + " qmp.supports(command) first, or use a QEMU that has it");
  }

  @Override
  public <R extends @Nullable Object> CompletableFuture<R> executeAsync(QmpCommand<R> command) {
    return executeAsync(command, settings.commandTimeout());
  }

  @Override
  public <R extends @Nullable Object> CompletableFuture<R> executeAsync(
      QmpCommand<R> command, Duration timeout) {
    Objects.requireNonNull(command, "command");
    timeout = checkTimeout(timeout);
    QmpCommandNotFoundException lacking = lacking(command);
    if (lacking != null) {
      return CompletableFuture.failedFuture(lacking);
    }
    Map<String, ?> args = command.arguments();
    JsonNode arguments;
    try {
      arguments = args.isEmpty() ? null : CODEC.toTree(args);
    } catch (JacksonException e) {
      throw new IllegalArgumentException(
          "the arguments of " + command.name() + " cannot be encoded as JSON: " + e.getMessage(),
          e);
    }
    return submit(
        command.name(), arguments, command.fileDescriptors(), command.replyType(), timeout);
  }

  @Override
  public JsonNode execute(String command, @Nullable JsonNode arguments) {
    return await(executeAsync(command, arguments, settings.commandTimeout()), command);
  }

  @Override
  public JsonNode execute(String command, @Nullable JsonNode arguments, Duration timeout) {
    return await(executeAsync(command, arguments, timeout), command);
  }

  @Override
  public CompletableFuture<JsonNode> executeAsync(
      String command, @Nullable JsonNode arguments, Duration timeout) {
    Objects.requireNonNull(command, "command");
    timeout = checkTimeout(timeout);
    Checks.checkArguments(command, arguments);
    return submit(command, arguments, List.of(), JsonNode.class, timeout);
  }

  private <R> CompletableFuture<R> submit(
      String name,
      @Nullable JsonNode arguments,
      List<FileDescriptor> fds,
      Type replyType,
      Duration timeout) {
    if (!ready && !name.equals("qmp_capabilities")) {
      throw new IllegalStateException(
          name
              + " was run before the QMP negotiation with "
              + peer
              + " ended: an onConnect hook may open event queues and waits, not run commands");
    }
    CompletableFuture<R> future = new CompletableFuture<>();
    QmpConnectionClosedException gone = closed.get();
    if (gone != null) {
      future.completeExceptionally(PendingCalls.closedFor(name, gone));
      return future;
    }
    if (!fds.isEmpty() && !channel.canPassFileDescriptors()) {
      throw new IllegalArgumentException(
          name + " passes file descriptors, which needs a Unix socket, not " + peer);
    }
    long id = calls.nextId();
    ObjectNode request = CODEC.objectNode();
    request.put("execute", name);
    if (arguments != null && !arguments.isEmpty()) {
      request.set("arguments", arguments);
    }
    request.put("id", id);
    byte[] bytes = encodeLine(request);

    PendingCalls.PendingCall<R> call = calls.add(id, name, replyType, future, timeout);
    if (closed.get() != null) {
      // close() may have swept the table before we added to it.
      future.completeExceptionally(
          PendingCalls.closedFor(name, Objects.requireNonNull(closed.get())));
      return future;
    }
    try {
      channel.write(bytes, fds, timeout);
      call.sent = true;
    } catch (WriteTimeoutException e) {
      // The timer may have said so first; if not, the caller learns it here.
      future.completeExceptionally(PendingCalls.notSent(name, peer, timeout));
      shutdown(PendingCalls.notReadFor(peer, timeout));
    } catch (PeerClosedException e) {
      // QEMU closed its end; the reader may not have met the end of the stream yet.
      QmpConnectionClosedException ended =
          new QmpConnectionClosedException(
              "QEMU closed the QMP connection "
                  + peer
                  + " (did it exit?) before "
                  + name
                  + " was sent",
              e,
              true);
      shutdown(ended);
      future.completeExceptionally(PendingCalls.closedFor(name, ended));
    } catch (IOException e) {
      QmpConnectionClosedException broken =
          new QmpConnectionClosedException(
              "the connection to " + peer + " broke while sending " + name + ": " + e.getMessage(),
              e);
      shutdown(broken);
      future.completeExceptionally(PendingCalls.closedFor(name, broken));
    }
    return future;
  }

  private static byte[] encodeLine(ObjectNode request) {
    byte[] json = CODEC.encode(request);
    byte[] line = new byte[json.length + 1];
    System.arraycopy(json, 0, line, 0, json.length);
    line[json.length] = '\n';
    return line;
  }

  private <T> T await(CompletableFuture<T> future, String what) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(false);
      Thread.currentThread().interrupt();
      throw new QmpInterruptedException(
          "interrupted while waiting for " + what + "; QEMU may still carry it out", e);
    } catch (ExecutionException e) {
      throw rethrow(e.getCause());
    } catch (CancellationException e) {
      throw new QmpException(what + " was cancelled", e);
    }
  }

  static RuntimeException rethrow(@Nullable Throwable cause) {
    if (cause instanceof RuntimeException re) {
      return re;
    }
    if (cause instanceof Error err) {
      throw err;
    }
    return new QmpException("unexpected failure: " + cause, cause);
  }

  // ---------------------------------------------------------------- events

  @Override
  public Subscription subscribe(QmpEventListener listener) {
    return events.subscribe(listener);
  }

  @Override
  public <E extends QmpEvent> EventWait<E> expectEvent(
      Class<E> type, Predicate<? super E> predicate) {
    return events.expectEvent(type, predicate);
  }

  @Override
  public <E extends QmpEvent> EventQueue<E> openEventQueue(Class<E> type) {
    return events.openEventQueue(type);
  }

  // ---------------------------------------------------------------- reading

  private void readAll(InputStream in) throws IOException {
    LineReader lines = new LineReader(in, settings.maxMessageBytes());
    for (byte[] line = lines.readLine(); line != null; line = lines.readLine()) {
      handle(line);
    }
  }

  /**
   * Why reading ended, from the channel's reader thread: the connection closes for it, whatever
   * happens while the reason is put into words (the heap may be exhausted).
   */
  private void readerEnded(@Nullable Throwable failure) {
    QmpConnectionClosedException reason = readerFailed;
    if (failure instanceof IOException
        && !PeerClosedException.isReset(failure)
        && closed.get() == null) {
      awaitWritersVerdict();
    }
    try {
      reason = reasonFor(failure);
    } catch (Throwable e) {
      // Out of memory again while building the message: the reason made up front will do.
    } finally {
      shutdown(reason);
    }
  }

  /**
   * junixsocket closes the socket itself when a write meets QEMU's end closed (EPIPE), and the
   * reader, blocked on the same socket, then fails with "Not open" just before the writer learns
   * why. The writer's reason (QEMU closed the connection) is the true one: give it a moment to land
   * first. Only a connection that broke without the client closing it waits, at most {@link
   * #WRITER_VERDICT}.
   */
  private void awaitWritersVerdict() {
    try {
      // The writer's shutdown completes the close future as its last step.
      closeFuture.get(WRITER_VERDICT.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException | CancellationException e) {
      // No writer closed the client: the reader's own reason stands.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private QmpConnectionClosedException reasonFor(@Nullable Throwable failure) {
    QmpConnectionClosedException reason;
    if (failure == null) {
      reason =
          new QmpConnectionClosedException(
              "QEMU closed the QMP connection " + peer + " (did it exit?)", null, true);
    } else if (failure instanceof WriteTimeoutException e) {
      reason = PendingCalls.notReadFor(peer, e.limit());
    } else if (failure instanceof FrameTooLargeException e) {
      reason =
          closedBy(
              new QmpProtocolException(
                  "QEMU sent a message larger than "
                      + settings.maxMessageBytes()
                      + " bytes on "
                      + peer
                      + "; the connection was closed to protect memory (raise"
                      + " maxMessageBytes if this is legitimate)",
                  e));
    } else if (failure instanceof QmpProtocolException e) {
      reason = closedBy(e);
    } else if (PeerClosedException.isReset(failure)) {
      // QEMU closed its end with a request of ours unread: everything it sent was read first.
      reason =
          new QmpConnectionClosedException(
              "QEMU closed the QMP connection "
                  + peer
                  + " (did it exit?) without reading the last request: "
                  + failure.getMessage(),
              failure,
              true);
    } else if (failure instanceof IOException e) {
      reason =
          new QmpConnectionClosedException(
              "the QMP connection " + peer + " broke: " + e.getMessage(), e);
    } else {
      // Out of memory, a stack overflow, a bug: the client closes rather than stay half alive.
      reason =
          new QmpConnectionClosedException(
              "the QMP reader for "
                  + peer
                  + " failed unexpectedly: "
                  + failure
                  + "; the client was closed, connect again",
              failure);
    }
    return reason;
  }

  private QmpConnectionClosedException closedBy(QmpProtocolException e) {
    return new QmpConnectionClosedException(
        "the QMP connection " + peer + " was closed after a protocol error: " + e.getMessage(), e);
  }

  private void handle(byte[] line) {
    JsonNode message;
    long heapBound;
    try {
      JsonCodec.Parsed parsed = CODEC.parseCounted(line);
      message = parsed.tree();
      heapBound = parsed.heapBound(line.length);
    } catch (JacksonException e) {
      throw new QmpProtocolException(
          "QEMU sent malformed JSON on "
              + peer
              + ": "
              + preview(line)
              + " ("
              + e.getOriginalMessage()
              + ")",
          e);
    }
    if (!message.isObject()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "dropping a QMP message that is not an object: {0}",
          preview(line));
      return;
    }
    if (!greetingFuture.isDone() && !message.has("QMP") && !message.has("event")) {
      throw new QmpProtocolException(
          peer + " is not a QMP monitor: its first message is not a greeting: " + preview(line),
          null);
    }
    if (message.has("return") || message.has("error")) {
      handleReply(message, line);
    } else if (message.has("event")) {
      handleEvent(message, line, heapBound);
    } else if (message.has("QMP")) {
      handleGreeting(message);
    } else {
      LOG.log(
          System.Logger.Level.WARNING, "dropping an unexpected QMP message: {0}", preview(line));
    }
  }

  private void handleGreeting(JsonNode message) {
    if (greetingFuture.isDone()) {
      LOG.log(System.Logger.Level.WARNING, "dropping a second QMP greeting from {0}", peer);
      return;
    }
    try {
      greetingFuture.complete(Replies.greeting(message));
    } catch (QmpProtocolException e) {
      greetingFuture.completeExceptionally(e);
      throw e;
    }
  }

  /**
   * @param heapBound at most what the event can hold of the heap once decoded (a {@code
   *     GenericEvent} keeps its data as a tree), which the event queues count against their bounds
   */
  private void handleEvent(JsonNode message, byte[] line, long heapBound) {
    QmpEvent event;
    try {
      event = Events.decode(message, CODEC);
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "dropping an event that does not decode: " + preview(line),
          e);
      return;
    }
    events.accept(event, heapBound);
  }

  private void handleReply(JsonNode message, byte[] line) {
    JsonNode idNode = message.get("id");
    if (idNode == null || !idNode.canConvertToLong()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "dropping a QMP reply without an id we sent: {0}",
          preview(line));
      return;
    }
    PendingCalls.PendingCall<?> call = calls.remove(idNode.asLong());
    if (call == null) {
      LOG.log(
          System.Logger.Level.DEBUG,
          "dropping a reply nobody waits for (it timed out, or was never sent): {0}",
          preview(line));
      return;
    }
    call.complete(message);
  }

  private static String preview(byte[] line) {
    return Checks.preview(line);
  }

  // ---------------------------------------------------------------- closing

  @Override
  public boolean isOpen() {
    return closed.get() == null;
  }

  @Override
  public CompletableFuture<@Nullable Throwable> closeFuture() {
    return closeFuture.copy();
  }

  @Override
  public String describePeer() {
    return peer;
  }

  @Override
  public java.util.OptionalLong peerProcessId() {
    return peerProcessId;
  }

  /** The settings it was made with, for {@link Reconnector}. */
  QmpSettings settings() {
    return settings;
  }

  /** Reads well in JShell and logs: {@code QmpClient[/run/vm1/qmp.sock, QEMU 10.0.2, open]}. */
  @Override
  public String toString() {
    QmpGreeting g = greeting;
    return "QmpClient["
        + peer
        + (g != null ? ", QEMU " + g.version() : "")
        + (isOpen() ? ", open" : ", closed")
        + "]";
  }

  @Override
  public void close() {
    shutdown(
        new QmpConnectionClosedException("the QMP client for " + peer + " was closed", null), true);
    joinThreads();
  }

  private void shutdown(QmpConnectionClosedException reason) {
    shutdown(reason, false);
  }

  /**
   * Marks the client closed and closes the channel, which allocates nothing and so holds even on an
   * exhausted heap; then tells everyone who waits. Each of those steps runs even if one before it
   * failed (out of memory again), so that the client is never left open, nor anyone waiting for an
   * end that already came.
   */
  private void shutdown(QmpConnectionClosedException reason, boolean byUser) {
    if (!closed.compareAndSet(null, reason)) {
      return;
    }
    try {
      channel.close();
    } finally {
      try {
        greetingFuture.completeExceptionally(
            reason.getCause() instanceof QmpProtocolException p ? p : reason);
      } finally {
        try {
          calls.failAll(reason);
        } finally {
          try {
            // Waits fail, queues end after what they hold, listeners still get the events queued.
            events.shutdown(reason);
          } finally {
            closeFuture.complete(byUser ? null : reason);
          }
        }
      }
    }
  }

  private void joinThreads() {
    // Wait for the reader thread itself, as a caller may check that no thread outlives the client,
    // and for the listeners to have had the events queued before the close.
    Thread me = Thread.currentThread();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    try {
      Thread reader = channel.readerThread();
      long left = TimeUnit.NANOSECONDS.toMillis(remaining(deadline));
      if (reader != me && left > 0) {
        reader.join(left);
      }
      events.awaitDelivered(deadline);
    } catch (InterruptedException e) {
      me.interrupt();
    }
  }

  // ---------------------------------------------------------------- helpers

  static Duration checkTimeout(Duration timeout) {
    return Checks.checkTimeout(timeout);
  }

  private static long remaining(long deadline) {
    return Math.max(0, deadline - System.nanoTime());
  }
}
