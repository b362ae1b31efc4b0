package io.github.qemucpr.qga;

import io.github.qemucpr.qga.command.AgentInfo;
import io.github.qemucpr.qga.command.ExecResult;
import io.github.qemucpr.qga.command.ExecStarted;
import io.github.qemucpr.qga.command.ExecStatus;
import io.github.qemucpr.qga.command.FreezeState;
import io.github.qemucpr.qga.command.GuestExec;
import io.github.qemucpr.qga.command.GuestExecStatus;
import io.github.qemucpr.qga.command.GuestFsfreezeFreeze;
import io.github.qemucpr.qga.command.GuestFsfreezeStatus;
import io.github.qemucpr.qga.command.GuestFsfreezeThaw;
import io.github.qemucpr.qga.command.GuestGetHostName;
import io.github.qemucpr.qga.command.GuestGetOsInfo;
import io.github.qemucpr.qga.command.GuestGetTime;
import io.github.qemucpr.qga.command.GuestInfo;
import io.github.qemucpr.qga.command.GuestPing;
import io.github.qemucpr.qga.command.GuestShutdown;
import io.github.qemucpr.qga.command.GuestSuspendDisk;
import io.github.qemucpr.qga.command.GuestSuspendHybrid;
import io.github.qemucpr.qga.command.GuestSuspendRam;
import io.github.qemucpr.qga.command.OsInfo;
import io.github.qemucpr.qga.command.ShutdownMode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A connection to the QEMU guest agent ({@code qemu-ga}) in one VM, through the Unix socket of the
 * VM's {@code org.qemu.guest_agent.0} virtio-serial port. Thread-safe: the agent runs one command
 * at a time, so the client sends one at a time and other callers wait their turn. Immutable once
 * connected, and {@link AutoCloseable}.
 *
 * <pre>{@code
 * try (GuestAgentClient qga = GuestAgentClient.connect(Path.of("/run/vm1/qga.sock"))) {
 *   qga.ping();
 *   System.out.println(qga.info().version());                       // 7.2.22
 *   ExecResult r = qga.run("cat", List.of("/etc/hostname"), Duration.ofSeconds(10));
 *   try (EventWait<SuspendEvent> suspended = qmp.expectEvent(SuspendEvent.class, e -> true)) {
 *     qga.suspendRam();                                              // returns once accepted
 *     suspended.await(Duration.ofSeconds(10));                      // seen by QEMU, over QMP
 *   }
 * }
 * }</pre>
 *
 * <h2>Synchronization</h2>
 *
 * The stream to the agent may hold leftovers: replies meant for an earlier client, or for a command
 * of this one that timed out, and partial JSON. So before its first command, and again after any
 * timeout, interruption or malformed reply, the client resynchronizes: it sends a 0xFF byte (which
 * makes the agent drop any partial request) and {@code guest-sync-delimited} with a random id,
 * discards everything up to the 0xFF byte that the agent puts before its answer, and then every
 * reply whose id is not that one. A reply that arrives late for a command that timed out is thereby
 * never handed to a later command. The resynchronization waits at most the sync timeout (5 s unless
 * set in the {@link Builder}); when the agent does not answer, the call fails with {@link
 * GuestAgentTimeoutException}: "the guest agent did not answer guest-sync-delimited within 5 s: is
 * qemu-ga running in the guest?". {@link #connect(Path)} only opens the socket.
 *
 * <h2>Timeouts</h2>
 *
 * Every call has a timeout, the one given or the client's command timeout (30 s unless set): it
 * bounds the wait for the caller's turn, and separately the wait for the reply. A resynchronization
 * in between has its own sync timeout. A command that timed out may still take effect in the guest.
 *
 * <h2>Commands that never reply</h2>
 *
 * {@code guest-suspend-ram}, {@code guest-suspend-disk}, {@code guest-suspend-hybrid} and {@code
 * guest-shutdown} send nothing when they succeed (a guest that suspends cannot answer), only an
 * error when they fail. For these the client sends the command followed by a {@code
 * guest-sync-delimited}, and waits up to the no-reply window (1 s unless set):
 *
 * <ul>
 *   <li>an error reply to the command is thrown as {@link GuestAgentCommandException} (for example
 *       "the requested suspend mode is not supported by the guest");
 *   <li>the answer to the sync, with no error before it, means the agent finished the command
 *       without error: the call returns;
 *   <li>silence until the window ends means the command is under way (the guest is suspending): the
 *       call returns, and the next command resynchronizes first. An error the agent reports only
 *       after the window is discarded by that resynchronization;
 *   <li>the connection closing (QEMU exited after a shutdown) also counts as accepted.
 * </ul>
 *
 * <p>Whether the guest really suspended or shut down is seen on the host, through QMP: register
 * {@code qmp.expectEvent(SuspendEvent.class, e -> true)} <em>before</em> calling {@link
 * #suspendRam()} (the {@code SUSPEND} event typically comes within 0.1 s, well inside the window),
 * then await it; or poll {@code query-status} until the runstate is {@code suspended}. QMP {@code
 * system_wakeup} resumes the guest; the agent answers again after that, and a command sent while
 * the guest sleeps gets its answer only then.
 */
public interface GuestAgentClient extends AutoCloseable {

  /** The default timeout of a command. */
  Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(30);

  /** How long one connection may take to open, by default. */
  Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** The default timeout of a {@code guest-sync-delimited} resynchronization. */
  Duration DEFAULT_SYNC_TIMEOUT = Duration.ofSeconds(5);

  /** How long a command that never replies on success waits for an error, by default. */
  Duration DEFAULT_NO_REPLY_WINDOW = Duration.ofSeconds(1);

  /**
   * The default limit on one message from the agent: 1 MiB. The agent is not trusted, and what the
   * client holds for it is bounded by about twice this limit (see {@link
   * Builder#maxMessageBytes(int)}); raise it for {@code guest-exec} output of more than about 700
   * KiB, which the agent sends as base64.
   */
  int DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

  /**
   * Opens the Unix socket of the agent's port ({@code -chardev socket,path=PATH,server=on,wait=off}
   * with {@code -device virtserialport,chardev=...,name=org.qemu.guest_agent.0}), with the default
   * settings. This does not talk to the agent yet; the first command synchronizes.
   *
   * @throws GuestAgentConnectException if the socket cannot be opened
   */
  static GuestAgentClient connect(Path socket) {
    return builder().unixSocket(socket).connect();
  }

  /** A builder for other settings. */
  static Builder builder() {
    return new Builder();
  }

  /**
   * Runs a command and waits for its reply, within the command timeout. For a command that sends no
   * reply on success ({@link GuestAgentCommand#sendsReply()} is false) it returns {@code null} once
   * the command is accepted, as described in the class documentation.
   *
   * @throws GuestAgentCommandUnavailableException if the agent does not know the command or has
   *     disabled it
   * @throws GuestAgentCommandException if the agent answers with another error
   * @throws GuestAgentTimeoutException if no reply comes in time, or the agent does not answer the
   *     resynchronization; the command may still take effect
   * @throws GuestAgentConnectionClosedException if the connection is or becomes closed
   * @throws GuestAgentProtocolException if the reply is malformed or does not decode to the
   *     command's reply type
   * @throws GuestAgentInterruptedException if the thread is interrupted while waiting
   */
  <R extends @Nullable Object> R execute(GuestAgentCommand<R> command);

  /**
   * As {@link #execute(GuestAgentCommand)}, waiting at most {@code timeout} for the caller's turn
   * and again at most {@code timeout} for the reply.
   */
  <R extends @Nullable Object> R execute(GuestAgentCommand<R> command, Duration timeout);

  /**
   * Runs a command on the client's own thread and returns at once. The future fails with the
   * exceptions {@link #execute(GuestAgentCommand)} throws (never an {@code ExecutionException}
   * wrapper of its own); the timeout counts from this call. Cancelling the future before the
   * command's turn keeps it from being sent; after that it stops nothing. Dependent stages attached
   * without an executor run on the client's thread and delay the commands behind them.
   */
  <R extends @Nullable Object> CompletableFuture<R> executeAsync(GuestAgentCommand<R> command);

  /** As {@link #executeAsync(GuestAgentCommand)}, with its own timeout. */
  <R extends @Nullable Object> CompletableFuture<R> executeAsync(
      GuestAgentCommand<R> command, Duration timeout);

  /**
   * The untyped escape hatch: runs any command by name and returns the {@code return} member as
   * JSON. {@code arguments} is a JSON object, or {@code null} for none. For commands that never
   * reply on success use {@link #executeWithoutReply(String, JsonNode)}.
   *
   * @throws GuestAgentCommandUnavailableException if the agent does not know the command or has
   *     disabled it
   * @throws GuestAgentCommandException if the agent answers with another error
   * @throws GuestAgentTimeoutException if no reply comes within the command timeout
   * @throws GuestAgentConnectionClosedException if the connection is or becomes closed
   * @throws IllegalArgumentException if {@code arguments} is not a JSON object
   */
  JsonNode execute(String command, @Nullable JsonNode arguments);

  /** As {@link #execute(String, JsonNode)}, with its own timeout. */
  JsonNode execute(String command, @Nullable JsonNode arguments, Duration timeout);

  /** As {@link #execute(String, JsonNode)}, asynchronously and with its own timeout. */
  CompletableFuture<JsonNode> executeAsync(
      String command, @Nullable JsonNode arguments, Duration timeout);

  /**
   * The untyped escape hatch for commands that send no reply on success: sends the command and
   * returns once it is accepted, as {@link #suspendRam()} does.
   *
   * @throws GuestAgentCommandException if the agent answers with an error within the window
   * @throws GuestAgentTimeoutException if the agent does not answer the resynchronization
   * @throws GuestAgentConnectionClosedException if the connection is closed
   * @throws IllegalArgumentException if {@code arguments} is not a JSON object
   */
  void executeWithoutReply(String command, @Nullable JsonNode arguments);

  /**
   * Resynchronizes with the agent now ({@code guest-sync-delimited}), although the client would do
   * it by itself before the next command if needed. Useful to wait until the agent answers, for
   * example after the guest woke up.
   *
   * @throws GuestAgentTimeoutException if the agent does not answer within the sync timeout
   * @throws GuestAgentConnectionClosedException if the connection is or becomes closed
   * @throws GuestAgentInterruptedException if the thread is interrupted while waiting
   */
  void sync();

  // ------------------------------------------------------------------ typed shortcuts

  /**
   * {@code guest-ping}: checks that the agent answers.
   *
   * @throws GuestAgentException as {@link #execute(GuestAgentCommand)} does
   */
  default void ping() {
    execute(new GuestPing());
  }

  /**
   * {@code guest-info}: the agent's version and which commands it supports and has enabled.
   *
   * @throws GuestAgentException as {@link #execute(GuestAgentCommand)} does
   */
  default AgentInfo info() {
    return execute(new GuestInfo());
  }

  /**
   * {@code guest-get-osinfo}: the guest's kernel and distribution.
   *
   * @throws GuestAgentException as {@link #execute(GuestAgentCommand)} does
   */
  default OsInfo osInfo() {
    return execute(new GuestGetOsInfo());
  }

  /**
   * {@code guest-get-host-name}: the guest's host name.
   *
   * @throws GuestAgentException as {@link #execute(GuestAgentCommand)} does
   */
  default String hostName() {
    return execute(new GuestGetHostName()).hostName();
  }

  /**
   * {@code guest-get-time}: the guest's system clock.
   *
   * @throws GuestAgentException as {@link #execute(GuestAgentCommand)} does
   */
  default Instant time() {
    long nanos = execute(new GuestGetTime());
    return Instant.ofEpochSecond(0, nanos);
  }

  /**
   * {@code guest-exec}: starts a program and returns at once; see {@link #execStatus(long)}.
   *
   * @throws GuestAgentException as {@link #execute(GuestAgentCommand)} does; a program that cannot
   *     be started is a {@link GuestAgentCommandException}
   */
  default ExecStarted exec(GuestExec command) {
    return execute(command);
  }

  /**
   * {@code guest-exec-status}: whether the process has ended, with its status and output.
   *
   * @throws GuestAgentException as {@link #execute(GuestAgentCommand)} does
   */
  default ExecStatus execStatus(long pid) {
    return execute(new GuestExecStatus(pid));
  }

  /**
   * Runs a program to its end: {@code guest-exec} with the output captured, then {@code
   * guest-exec-status} until it exits, polling every 10 ms at first and every 200 ms at most. Other
   * callers' commands may run between the polls.
   *
   * @throws GuestAgentTimeoutException if it has not ended within {@code timeout}; it may still run
   *     in the guest
   * @throws GuestAgentException as {@link #execute(GuestAgentCommand)} does
   */
  ExecResult run(GuestExec command, Duration timeout);

  /**
   * Runs {@code path} with {@code args} to its end, with the output captured; see {@link
   * #run(GuestExec, Duration)}.
   *
   * @throws GuestAgentTimeoutException if it has not ended within {@code timeout}
   * @throws GuestAgentException as {@link #execute(GuestAgentCommand)} does
   */
  default ExecResult run(String path, List<String> args, Duration timeout) {
    return run(GuestExec.of(path, args), timeout);
  }

  /**
   * {@code guest-fsfreeze-status}.
   *
   * @throws GuestAgentException as {@link #execute(GuestAgentCommand)} does
   */
  default FreezeState fsfreezeStatus() {
    return execute(new GuestFsfreezeStatus());
  }

  /**
   * {@code guest-fsfreeze-freeze}: freezes the guest's local file systems; returns how many. Most
   * other commands are disabled until {@link #fsfreezeThaw()}.
   *
   * @throws GuestAgentException as {@link #execute(GuestAgentCommand)} does
   */
  default int fsfreezeFreeze() {
    return execute(new GuestFsfreezeFreeze());
  }

  /**
   * {@code guest-fsfreeze-thaw}: thaws them; returns how many.
   *
   * @throws GuestAgentException as {@link #execute(GuestAgentCommand)} does
   */
  default int fsfreezeThaw() {
    return execute(new GuestFsfreezeThaw());
  }

  /**
   * {@code guest-suspend-ram}: suspends the guest to RAM (S3); returns once the command is
   * accepted, as described in the class documentation. Wait for the {@code SUSPEND} event or
   * runstate {@code suspended} through QMP.
   *
   * @throws GuestAgentCommandException if the agent reports an error within the no-reply window,
   *     such as S3 not supported by the guest
   * @throws GuestAgentCommandUnavailableException if the agent has the command disabled
   * @throws GuestAgentTimeoutException if the agent does not answer the resynchronization first
   * @throws GuestAgentConnectionClosedException if the connection is or becomes closed
   */
  default void suspendRam() {
    execute(new GuestSuspendRam());
  }

  /**
   * {@code guest-suspend-disk}: hibernates the guest; see {@link #suspendRam()} for when it
   * returns. The VM powers off when hibernation succeeds.
   *
   * @throws GuestAgentException as {@link #suspendRam()} does
   */
  default void suspendDisk() {
    execute(new GuestSuspendDisk());
  }

  /**
   * {@code guest-suspend-hybrid}: saves to disk and suspends to RAM; see {@link #suspendRam()}.
   *
   * @throws GuestAgentException as {@link #suspendRam()} does
   */
  default void suspendHybrid() {
    execute(new GuestSuspendHybrid());
  }

  /**
   * {@code guest-shutdown}: asks the guest to power down, halt or reboot; see {@link #suspendRam()}
   * for when it returns.
   *
   * @throws GuestAgentException as {@link #suspendRam()} does
   */
  default void shutdown(ShutdownMode mode) {
    execute(new GuestShutdown(mode));
  }

  // ------------------------------------------------------------------ connection

  /** Whether the connection is still open. */
  boolean isOpen();

  /** The peer, such as the socket path, for messages. */
  String describePeer();

  /**
   * Closes the connection. A pending call fails with {@link GuestAgentConnectionClosedException};
   * the client's threads end before this returns. Idempotent.
   */
  @Override
  void close();

  /**
   * Settings for a connection. Each option may be set once; each argument is checked as it is set.
   * Not thread-safe; the client it builds is.
   *
   * <pre>{@code
   * GuestAgentClient qga = GuestAgentClient.builder()
   *     .unixSocket(Path.of("/run/vm1/qga.sock"))
   *     .syncTimeout(Duration.ofSeconds(2))
   *     .commandTimeout(Duration.ofSeconds(10))
   *     .connect();
   * }</pre>
   */
  final class Builder {
    private @Nullable Path unixSocket;
    private @Nullable Duration connectTimeout;
    private @Nullable Duration waitForSocket;
    private @Nullable Duration syncTimeout;
    private @Nullable Duration commandTimeout;
    private @Nullable Duration noReplyWindow;
    private int maxMessageBytes;
    private @Nullable String name;

    Builder() {}

    /** The agent's Unix socket. Required. */
    public Builder unixSocket(Path socket) {
      requireUnset(unixSocket, "unixSocket");
      this.unixSocket = Objects.requireNonNull(socket, "socket");
      return this;
    }

    /**
     * How long one connection may take to open: a socket whose backlog is full (a stopped QEMU) is
     * waited on within it. Default 5 s. The same option of {@code QmpClient.Builder} means the same
     * (there it also bounds QEMU's greeting; the agent has none).
     */
    public Builder connectTimeout(Duration timeout) {
      requireUnset(connectTimeout, "connectTimeout");
      this.connectTimeout = checkDuration("connectTimeout", timeout);
      return this;
    }

    /**
     * How long {@link #connect()} keeps trying while the socket does not exist yet or refuses
     * connections, as while QEMU starts: every 50 ms, each try within {@link
     * #connectTimeout(Duration)}. Default: zero, one try. The same option of {@code
     * QmpClient.Builder} means the same.
     */
    public Builder waitForSocket(Duration timeout) {
      requireUnset(waitForSocket, "waitForSocket");
      this.waitForSocket = checkDuration("waitForSocket", timeout);
      return this;
    }

    /** How long a {@code guest-sync-delimited} resynchronization may take. Default 5 s. */
    public Builder syncTimeout(Duration timeout) {
      requireUnset(syncTimeout, "syncTimeout");
      this.syncTimeout = checkDuration("syncTimeout", timeout);
      return this;
    }

    /** The timeout of calls that do not give their own. Default 30 s. */
    public Builder commandTimeout(Duration timeout) {
      requireUnset(commandTimeout, "commandTimeout");
      this.commandTimeout = checkDuration("commandTimeout", timeout);
      return this;
    }

    /**
     * How long a command that sends no reply on success (suspend, shutdown) waits for an error
     * before it counts as accepted. Default 1 s.
     */
    public Builder noReplyWindow(Duration window) {
      requireUnset(noReplyWindow, "noReplyWindow");
      this.noReplyWindow = checkDuration("noReplyWindow", window);
      return this;
    }

    /**
     * The largest message accepted from the agent; a larger one fails the call, and the client
     * resynchronizes. Default 1 MiB.
     *
     * <p>This also bounds what a hostile guest can make the client hold: a line is stored only
     * while a command waits for the agent, and then up to this limit; the lines read but not yet
     * taken by that command take at most 1 MiB more (or one message, if the limit is larger), after
     * which the client stops reading until the command takes them. Whatever the agent sends while
     * no command waits is skipped unread, and the next command resynchronizes first.
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

    /** A name for the client's threads and messages, such as the VM's name. */
    public Builder name(String name) {
      requireUnset(this.name, "name");
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    /**
     * Opens the socket. This does not talk to the agent yet; the first command synchronizes.
     *
     * @throws IllegalStateException if no socket was set
     * @throws GuestAgentConnectException if the socket cannot be opened
     * @throws GuestAgentInterruptedException if interrupted while waiting for the socket
     */
    public GuestAgentClient connect() {
      if (unixSocket == null) {
        throw new IllegalStateException("set unixSocket(path) before connect()");
      }
      var settings =
          new io.github.qemucpr.qga.internal.GuestAgentSettings(
              unixSocket,
              connectTimeout != null ? connectTimeout : DEFAULT_CONNECT_TIMEOUT,
              waitForSocket != null ? waitForSocket : Duration.ZERO,
              syncTimeout != null ? syncTimeout : DEFAULT_SYNC_TIMEOUT,
              commandTimeout != null ? commandTimeout : DEFAULT_COMMAND_TIMEOUT,
              noReplyWindow != null ? noReplyWindow : DEFAULT_NO_REPLY_WINDOW,
              maxMessageBytes != 0 ? maxMessageBytes : DEFAULT_MAX_MESSAGE_BYTES,
              name);
      return io.github.qemucpr.qga.internal.GuestAgentConnection.open(settings);
    }

    private static void requireUnset(@Nullable Object current, String option) {
      if (current != null) {
        throw new IllegalStateException(option + " was already set to " + current);
      }
    }

    /** The longest duration taken: a longer one is taken as this (50 years). */
    private static final Duration LONGEST = Duration.ofDays(365L * 50);

    private static Duration checkDuration(String option, Duration value) {
      Objects.requireNonNull(value, option);
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(option + " must be positive: " + value);
      }
      // Longer is as long as it takes; the cap keeps deadlines in nanoseconds from overflowing.
      return value.compareTo(LONGEST) > 0 ? LONGEST : value;
    }
  }
}
