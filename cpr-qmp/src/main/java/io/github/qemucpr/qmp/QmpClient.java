package io.github.qemucpr.qmp;

import io.github.qemucpr.qmp.event.QmpEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A connection to one QEMU's QMP monitor. Thread-safe: many threads may have commands in flight at
 * once, and replies are matched to their callers by id. Immutable once connected, and {@link
 * AutoCloseable}.
 *
 * <pre>{@code
 * try (QmpClient qmp = QmpClient.connect(Path.of("/run/vm1/qmp.sock"))) {
 *   System.out.println(qmp.greeting().version());          // 10.0.2
 *   RunStatus status = qmp.execute(new QueryStatus());
 *   qmp.executeAsync(new QueryMigrate()).thenAccept(m -> System.out.println(m.status()));
 * }
 * }</pre>
 *
 * <p>Every call has a timeout: the one given, or the client's default (30 s unless set in the
 * {@link Builder}). A timed-out command may still take effect in QEMU; its late reply is dropped.
 * When the connection closes, or QEMU dies, every pending call fails at once with {@link
 * QmpConnectionClosedException}.
 *
 * <p>Futures returned by the async methods are completed on the client's reader thread: a dependent
 * stage attached without an executor runs there too, and a slow one delays every other reply. Use
 * the {@code *Async(..., executor)} stages of {@link CompletableFuture} for slow work. A future
 * that times out is failed on a short-lived thread of its own ({@code cpr-qmp-timeouts-N}), never
 * on the one deadline timer that all clients in the JVM share.
 */
public interface QmpClient extends AutoCloseable {

  /** The default timeout for a command, and for connecting including the greeting. */
  Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /** The default limit on one message from QEMU: 16 MiB. */
  int DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  /**
   * Connects to the Unix socket of a QEMU started with {@code -qmp unix:PATH,server=on,wait=off},
   * reads the greeting and negotiates capabilities, all within {@link #DEFAULT_TIMEOUT}.
   *
   * @throws QmpConnectException if the socket cannot be opened
   * @throws QmpTimeoutException if no greeting arrives in time (another client may hold the socket)
   * @throws QmpProtocolException if the peer does not speak QMP
   */
  static QmpClient connect(Path socket) {
    return builder().unixSocket(socket).connect();
  }

  /**
   * Connects again to the monitor that {@code old} was connected to, for a QEMU that closes its
   * monitor and opens it again on the same address: cpr-exec re-executes QEMU in the same process,
   * and the new QEMU's monitor answers on the same socket path about 100 ms after the old one
   * closed; a monitor restarted by other means is the same case.
   *
   * <pre>{@code
   * qmp.execute(new Migrate(...));                 // cpr-exec: QEMU closes the monitor and execs
   * QmpReconnection again = QmpClient.reconnect(qmp, Duration.ofSeconds(30));
   * try (QmpClient qmp2 = again.client()) {
   *   RunStatus status = qmp2.execute(new QueryStatus());  // events in the gap are lost: ask
   * }
   * }</pre>
   *
   * <p>In order, within {@code timeout} in all:
   *
   * <ol>
   *   <li>it waits for {@code old} to close, and never closes it itself while it is open: closing
   *       it early would let the old QEMU, still about to exec, take the new connection. Close
   *       {@code old} first to reconnect at once. Calls pending on {@code old} have failed by then
   *       with {@link QmpConnectionClosedException}, as for any closed connection; QEMU may or may
   *       not have carried them out. Calls made on {@code old} afterwards fail the same way; {@code
   *       old} stays closed;
   *   <li>it connects to the same address with the same settings (timeouts, message limit, the
   *       builder's event listener, name), every 10 ms while the socket is absent, refuses, or
   *       accepts and closes before the negotiation ends (a QEMU about to exec); a peer that is not
   *       QMP is not retried.
   * </ol>
   *
   * <p>This is a static method, not a policy inside the client, on purpose: a client that silently
   * swapped its connection would hide the gap, and with it the events lost there, and would have to
   * decide for the caller what to do with waits and queues opened before it. Here every client is
   * one connection, and the caller sees the gap as {@link QmpReconnection#gap()}. Subscriptions,
   * event waits and event queues of {@code old} end with it and are not carried over.
   *
   * @param old a client made by {@link #connect(Path)} or {@link #builder()}
   * @param timeout the time for all of it: waiting for {@code old} to close, and connecting
   * @return the new client, which the caller closes, with the gap
   * @throws QmpTimeoutException if {@code old} is still open, or no monitor answers, in time (the
   *     message gives the last error); {@code old} is left as it was
   * @throws QmpProtocolException if the peer that answers does not speak QMP
   * @throws QmpInterruptedException if the thread is interrupted
   * @throws IllegalArgumentException if {@code timeout} is not positive, or {@code old} was not
   *     made by this library
   */
  static QmpReconnection reconnect(QmpClient old, Duration timeout) {
    return io.github.qemucpr.qmp.internal.protocol.Reconnector.reconnect(old, timeout, null);
  }

  /**
   * As {@link #reconnect(QmpClient, Duration)}, running {@code onConnect} on each new connection
   * before QEMU can send it an event (see {@link Builder#onConnect(java.util.function.Consumer)}),
   * after the hook of {@code old}'s builder, if it had one. The events QEMU sends as soon as its
   * new monitor is up, such as the {@code RESUME} of a cpr-exec, then reach the queues and waits it
   * opens; a connection that fails before its negotiation ends takes its queues with it.
   *
   * <pre>{@code
   * AtomicReference<EventWait<ResumeEvent>> resume = new AtomicReference<>();
   * QmpReconnection again = QmpClient.reconnect(qmp, Duration.ofSeconds(30),
   *     c -> resume.set(c.expectEvent(ResumeEvent.class, e -> true)));
   * }</pre>
   *
   * @throws QmpTimeoutException as {@link #reconnect(QmpClient, Duration)}
   * @throws QmpProtocolException as {@link #reconnect(QmpClient, Duration)}
   * @throws QmpInterruptedException as {@link #reconnect(QmpClient, Duration)}
   * @throws IllegalArgumentException as {@link #reconnect(QmpClient, Duration)}
   */
  static QmpReconnection reconnect(
      QmpClient old, Duration timeout, java.util.function.Consumer<? super QmpClient> onConnect) {
    java.util.Objects.requireNonNull(onConnect, "onConnect");
    return io.github.qemucpr.qmp.internal.protocol.Reconnector.reconnect(old, timeout, onConnect);
  }

  /** A builder for other transports (TCP) and settings. */
  static Builder builder() {
    return new Builder();
  }

  /** The greeting QEMU sent: its version and capabilities. */
  QmpGreeting greeting();

  /**
   * Runs a command and waits for its reply, within the default timeout.
   *
   * @throws QmpCommandException if QEMU answers with an error
   * @throws QmpTimeoutException if no reply comes in time; the command may still take effect
   * @throws QmpConnectionClosedException if the connection is or becomes closed
   * @throws QmpProtocolException if the reply does not decode to the command's reply type
   * @throws QmpInterruptedException if the thread is interrupted while waiting
   */
  <R extends @Nullable Object> R execute(QmpCommand<R> command);

  /**
   * Runs a command and waits at most {@code timeout} for its reply.
   *
   * @throws QmpCommandException if QEMU answers with an error
   * @throws QmpTimeoutException if no reply comes in time; the command may still take effect
   * @throws QmpConnectionClosedException if the connection is or becomes closed
   * @throws QmpProtocolException if the reply does not decode to the command's reply type
   * @throws QmpInterruptedException if the thread is interrupted while waiting
   */
  <R extends @Nullable Object> R execute(QmpCommand<R> command, Duration timeout);

  /**
   * Sends a command and returns without waiting for its reply. The future fails with the exceptions
   * {@link #execute(QmpCommand)} throws (never an {@code ExecutionException} wrapper of its own).
   * Cancelling the future stops the wait, not the command.
   *
   * <p>The request is written on the calling thread, which takes microseconds while QEMU reads its
   * monitor. A QEMU that stops reading (hung, or stopped with SIGSTOP) leaves the socket's buffer
   * full after a few hundred kilobytes of requests; the write then waits, at most the timeout, and
   * the connection is closed under it: the future fails with {@link QmpTimeoutException}, and the
   * caller was held that long.
   */
  <R extends @Nullable Object> CompletableFuture<R> executeAsync(QmpCommand<R> command);

  /** As {@link #executeAsync(QmpCommand)}, with its own timeout. */
  <R extends @Nullable Object> CompletableFuture<R> executeAsync(
      QmpCommand<R> command, Duration timeout);

  /**
   * The untyped escape hatch: runs any command by name and returns the {@code return} member as
   * JSON. {@code arguments} is a JSON object, or {@code null} for none.
   *
   * @throws QmpCommandException if QEMU answers with an error
   * @throws QmpTimeoutException if no reply comes within the default timeout
   * @throws QmpConnectionClosedException if the connection is or becomes closed
   * @throws IllegalArgumentException if {@code arguments} is not a JSON object
   */
  JsonNode execute(String command, @Nullable JsonNode arguments);

  /** As {@link #execute(String, JsonNode)}, with its own timeout. */
  JsonNode execute(String command, @Nullable JsonNode arguments, Duration timeout);

  /** As {@link #execute(String, JsonNode)}, asynchronously and with its own timeout. */
  CompletableFuture<JsonNode> executeAsync(
      String command, @Nullable JsonNode arguments, Duration timeout);

  /**
   * Registers a listener for every event from now on. Listeners run one event at a time, in arrival
   * order, never on the reader thread, and may lose events when they fall behind (see {@link
   * QmpEventListener}); to see every event of a type, use {@link #openEventQueue(Class)} or {@link
   * #expectEvent(Class, Predicate)}.
   *
   * @return a handle whose {@code close()} unsubscribes
   */
  Subscription subscribe(QmpEventListener listener);

  /**
   * Registers a wait for the first event of {@code type} that matches {@code predicate} and that
   * the client reads after this registration. Register it <em>before</em> sending the command that
   * causes the event. The wait is served on the thread that reads from QEMU, as each event arrives
   * and in arrival order, never behind listeners: it misses no event, however slow or broken the
   * listeners are. So the predicate runs on that thread and must be quick; if it throws, the wait
   * fails with what it threw.
   */
  <E extends QmpEvent> EventWait<E> expectEvent(Class<E> type, Predicate<? super E> predicate);

  /**
   * Opens a queue of every event of {@code type} (an event class, or {@link QmpEvent} for all) that
   * the client reads from now on, in arrival order. Like {@link #expectEvent}, it is fed as events
   * arrive, never behind listeners, and loses nothing while it keeps up (see {@link EventQueue} for
   * its bound). Open it before the command that causes the events, and close it when done.
   */
  <E extends QmpEvent> EventQueue<E> openEventQueue(Class<E> type);

  /**
   * Waits for the first event of {@code type} that matches {@code predicate} and arrives after this
   * call. Events from before the call never match.
   *
   * @throws QmpTimeoutException if none arrives within {@code timeout}
   * @throws QmpConnectionClosedException if the connection closes first
   */
  default <E extends QmpEvent> E awaitEvent(
      Class<E> type, Predicate<? super E> predicate, Duration timeout) {
    try (EventWait<E> wait = expectEvent(type, predicate)) {
      return wait.await(timeout);
    }
  }

  /** As {@link #awaitEvent(Class, Predicate, Duration)} for any event type. */
  default QmpEvent awaitEvent(Predicate<? super QmpEvent> predicate, Duration timeout) {
    return awaitEvent(QmpEvent.class, predicate, timeout);
  }

  /**
   * Whether the connected QEMU has this command. The first call asks QEMU for its commands ({@code
   * query-commands}), once per connection; later calls answer from that.
   *
   * <pre>{@code
   * if (qmp.supports(new QueryAccelerators())) { ... }   // QEMU 11.1 has it, 10.0 not
   * }</pre>
   *
   * <p>A command of the generated surface ({@code io.github.qemucpr.qmp.qapi}) that the connected
   * QEMU lacks fails before it is sent, with a {@link QmpCommandNotFoundException} that names the
   * QEMU version: the blocking {@code execute} asks for the list on the first generated command of
   * a connection, within that command's timeout, and {@code executeAsync} checks once the list is
   * known. Callers that ask at the same time share one {@code query-commands}. Hand-written
   * commands and the untyped {@code execute(String, ...)} are sent as they are.
   *
   * <p>When QEMU answers {@code query-commands} with an error, or with something that is not a list
   * of commands (logged as a warning), the connection has no list: every command is sent and QEMU
   * decides, and this method answers true. That is remembered, not asked again.
   *
   * @throws QmpTimeoutException if the first call gets no answer in time (a later call asks again)
   * @throws QmpConnectionClosedException if the connection is or becomes closed
   */
  default boolean supports(QmpCommand<?> command) {
    return supports(command.name());
  }

  /**
   * Whether the connected QEMU has the command of this name; see {@link #supports(QmpCommand)}.
   *
   * @throws QmpTimeoutException if the first call gets no answer in time
   * @throws QmpConnectionClosedException if the connection is or becomes closed
   */
  default boolean supports(String command) {
    return CommandSupport.commands(this).contains(command);
  }

  /** Whether the connection is still open. */
  boolean isOpen();

  /**
   * A future that completes when the connection closes, for whatever reason: with {@code null}
   * after {@link #close()}, or with the exception that explains a broken connection.
   */
  CompletableFuture<@Nullable Throwable> closeFuture();

  /**
   * The process id of the QEMU behind a Unix socket, as the kernel gave it when the connection was
   * made (the socket's peer credentials, {@code SO_PEERCRED}, in this process's pid namespace);
   * empty over TCP, or where the credentials are not available. cpr-exec keeps it: the same id on
   * the connection after {@link #reconnect} shows that the same process runs on.
   */
  default java.util.OptionalLong peerProcessId() {
    return java.util.OptionalLong.empty();
  }

  /** The peer, such as the socket path, for messages. */
  String describePeer();

  /**
   * Closes the connection. Pending calls fail with {@link QmpConnectionClosedException}; the
   * client's threads end. Idempotent.
   */
  @Override
  void close();

  /**
   * Settings for a connection. Each option may be set once; each argument is checked as it is set.
   * Not thread-safe; the client it builds is.
   *
   * <pre>{@code
   * QmpClient qmp = QmpClient.builder()
   *     .tcp("127.0.0.1", 4444)
   *     .connectTimeout(Duration.ofSeconds(5))
   *     .commandTimeout(Duration.ofSeconds(10))
   *     .eventListener(e -> log.info(e.toString()))
   *     .connect();
   * }</pre>
   */
  final class Builder {
    private @Nullable Path unixSocket;
    private @Nullable String tcpHost;
    private int tcpPort;
    private @Nullable Duration connectTimeout;
    private @Nullable Duration waitForSocket;
    private @Nullable Duration commandTimeout;
    private int maxMessageBytes;
    private @Nullable Boolean enableOob;
    private @Nullable QmpEventListener eventListener;
    private @Nullable String name;
    private java.util.function.@Nullable Consumer<? super QmpClient> onConnect;

    Builder() {}

    /** Connects to a Unix socket. */
    public Builder unixSocket(Path socket) {
      requireNoAddress();
      this.unixSocket = java.util.Objects.requireNonNull(socket, "socket");
      return this;
    }

    /** Connects over TCP, for {@code -qmp tcp:HOST:PORT,server=on,wait=off}. */
    public Builder tcp(String host, int port) {
      requireNoAddress();
      java.util.Objects.requireNonNull(host, "host");
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port must be 1..65535: " + port);
      }
      this.tcpHost = host;
      this.tcpPort = port;
      return this;
    }

    /**
     * How long one connection may take to open: a socket whose backlog is full (a stopped QEMU) is
     * waited on, and QEMU's greeting and the capabilities negotiation must come, within it. Default
     * 30 s. The same option of {@code GuestAgentClient.Builder} means the same.
     */
    public Builder connectTimeout(Duration timeout) {
      requireUnset(connectTimeout, "connectTimeout");
      this.connectTimeout = checkDuration("connectTimeout", timeout);
      return this;
    }

    /**
     * How long {@link #connect()} keeps trying while the socket does not exist yet or refuses
     * connections, as while QEMU starts: every 50 ms, each try within {@link
     * #connectTimeout(Duration)}. Default: zero, one try. A QEMU that accepts but does not greet is
     * not tried again. The same option of {@code GuestAgentClient.Builder} means the same.
     *
     * <pre>{@code
     * // Start QEMU, then connect as soon as its monitor is up.
     * QmpClient qmp = QmpClient.builder()
     *     .unixSocket(Path.of("/run/vm1/qmp.sock"))
     *     .waitForSocket(Duration.ofSeconds(10))
     *     .connect();
     * }</pre>
     */
    public Builder waitForSocket(Duration timeout) {
      requireUnset(waitForSocket, "waitForSocket");
      this.waitForSocket = checkDuration("waitForSocket", timeout);
      return this;
    }

    /** The timeout of calls that do not give their own. Default 30 s. */
    public Builder commandTimeout(Duration timeout) {
      requireUnset(commandTimeout, "commandTimeout");
      this.commandTimeout = checkDuration("commandTimeout", timeout);
      return this;
    }

    /**
     * The largest message accepted from QEMU; a larger one closes the connection. Default 16 MiB.
     */
    public Builder maxMessageBytes(int bytes) {
      if (maxMessageBytes != 0) {
        throw new IllegalStateException("maxMessageBytes was already set to " + maxMessageBytes);
      }
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxMessageBytes must be at least 1024: " + bytes);
      }
      this.maxMessageBytes = bytes;
      return this;
    }

    /** Whether to enable out-of-band execution when QEMU offers it. Default true. */
    public Builder enableOob(boolean enable) {
      requireUnset(enableOob, "enableOob");
      this.enableOob = enable;
      return this;
    }

    /**
     * A listener registered before the connection opens, so that it sees every event, including
     * those that arrive during the negotiation.
     */
    public Builder eventListener(QmpEventListener listener) {
      requireUnset(eventListener, "eventListener");
      this.eventListener = java.util.Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** A name for the client's threads and log lines, such as the VM's name. */
    public Builder name(String name) {
      requireUnset(this.name, "name");
      this.name = java.util.Objects.requireNonNull(name, "name");
      return this;
    }

    /**
     * A hook that runs on the connecting thread once QEMU's greeting is read and before the
     * capabilities are negotiated, that is before QEMU sends the connection any event. The queues
     * and waits it opens ({@link QmpClient#openEventQueue(Class)}, {@link
     * QmpClient#expectEvent(Class, Predicate)}) therefore see every event of the connection, such
     * as the {@code RESUME} a QEMU sends right after its monitor comes up, which a queue opened
     * after {@link #connect()} returns can miss.
     *
     * <pre>{@code
     * AtomicReference<EventWait<ResumeEvent>> resume = new AtomicReference<>();
     * QmpClient qmp = QmpClient.builder()
     *     .unixSocket(socket)
     *     .onConnect(c -> resume.set(c.expectEvent(ResumeEvent.class, e -> true)))
     *     .connect();
     * }</pre>
     *
     * <p>It must not run commands: the connection is not ready for them, and they fail with {@link
     * IllegalStateException}. If it throws, {@link #connect()} closes the connection and throws
     * what it threw.
     */
    public Builder onConnect(java.util.function.Consumer<? super QmpClient> hook) {
      requireUnset(onConnect, "onConnect");
      this.onConnect = java.util.Objects.requireNonNull(hook, "hook");
      return this;
    }

    /**
     * Opens the connection, reads the greeting and negotiates capabilities.
     *
     * @throws IllegalStateException if no address was set
     * @throws QmpConnectException if the socket cannot be opened (within {@link
     *     #waitForSocket(Duration)}, when set)
     * @throws QmpTimeoutException if the greeting or the negotiation does not finish in time
     * @throws QmpProtocolException if the peer does not speak QMP
     * @throws QmpInterruptedException if interrupted while waiting for the socket
     */
    public QmpClient connect() {
      if (unixSocket == null && tcpHost == null) {
        throw new IllegalStateException("set unixSocket(path) or tcp(host, port) before connect()");
      }
      var settings =
          new io.github.qemucpr.qmp.internal.protocol.QmpSettings(
              unixSocket,
              tcpHost,
              tcpPort,
              connectTimeout != null ? connectTimeout : DEFAULT_TIMEOUT,
              commandTimeout != null ? commandTimeout : DEFAULT_TIMEOUT,
              maxMessageBytes != 0 ? maxMessageBytes : DEFAULT_MAX_MESSAGE_BYTES,
              enableOob == null || enableOob,
              eventListener,
              name,
              onConnect);
      // Past some 73 years a wait is "as long as it takes": toNanos() would overflow.
      Duration longest = Duration.ofNanos(Long.MAX_VALUE / 4);
      Duration wait = waitForSocket != null ? waitForSocket : Duration.ZERO;
      long deadline = System.nanoTime() + (wait.compareTo(longest) > 0 ? longest : wait).toNanos();
      while (true) {
        try {
          return io.github.qemucpr.qmp.internal.protocol.QmpConnection.open(settings);
        } catch (QmpConnectException e) {
          if (System.nanoTime() - deadline >= 0) {
            throw e;
          }
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new QmpInterruptedException(
              "interrupted while waiting for the QMP socket "
                  + (unixSocket != null ? unixSocket : tcpHost + ":" + tcpPort),
              e);
        }
      }
    }

    private void requireNoAddress() {
      if (unixSocket != null || tcpHost != null) {
        throw new IllegalStateException(
            "the address was already set to "
                + (unixSocket != null ? unixSocket : tcpHost + ":" + tcpPort));
      }
    }

    private static void requireUnset(@Nullable Object current, String option) {
      if (current != null) {
        throw new IllegalStateException(option + " was already set to " + current);
      }
    }

    /** The longest duration taken: a longer one is taken as this (50 years). */
    private static final Duration LONGEST = Duration.ofDays(365L * 50);

    private static Duration checkDuration(String option, Duration value) {
      java.util.Objects.requireNonNull(value, option);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(option + " must be positive: " + value);
      }
      // Longer is as long as it takes; the cap keeps deadlines in nanoseconds from overflowing.
      return value.compareTo(LONGEST) > 0 ? LONGEST : value;
    }
  }
}
