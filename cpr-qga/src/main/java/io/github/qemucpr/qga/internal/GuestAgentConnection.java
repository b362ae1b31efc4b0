package io.github.qemucpr.qga.internal;

import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.GuestAgentCommand;
import io.github.qemucpr.qga.GuestAgentConnectException;
import io.github.qemucpr.qga.GuestAgentConnectionClosedException;
import io.github.qemucpr.qga.GuestAgentInterruptedException;
import io.github.qemucpr.qga.GuestAgentProtocolException;
import io.github.qemucpr.qga.GuestAgentTimeoutException;
import io.github.qemucpr.qga.command.ExecResult;
import io.github.qemucpr.qga.command.GuestExec;
import io.github.qemucpr.qga.internal.AgentFrames.Delimiter;
import io.github.qemucpr.qga.internal.AgentFrames.End;
import io.github.qemucpr.qga.internal.AgentFrames.Frame;
import io.github.qemucpr.qga.internal.AgentFrames.Line;
import io.github.qemucpr.qga.internal.AgentFrames.Oversized;
import io.github.qemucpr.qmp.internal.wire.Checks;
import io.github.qemucpr.qmp.internal.wire.LineChannel;
import io.github.qemucpr.qmp.internal.wire.Transport;
import io.github.qemucpr.qmp.internal.wire.UnixSocketTransport;
import io.github.qemucpr.qmp.internal.wire.WriteTimeoutException;
import java.io.IOException;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The guest agent protocol engine behind {@link GuestAgentClient}: the public surface, the turn,
 * the resynchronization, the flow of one command, asynchronous calls and closing.
 *
 * <p>The connection is a {@link LineChannel}, as under the QMP client: its reader thread consumes
 * the socket all the time, and {@link AgentFrames} turns the bytes into {@link Frame}s: whole
 * lines, 0xFF delimiters, oversized messages and the end of the stream. Reading ahead like this
 * (instead of reading on the caller's thread) is what lets a call end at its timeout while the
 * socket stays blocking. Requests are written through the channel, within a limit, and {@link
 * AgentCodec} encodes them and decodes the replies. {@code guest-exec}'s polling is in {@link
 * ExecPolling}. Commands are serialized by a fair lock, because the agent runs one at a time and
 * answers without ids that could be relied on (qemu-ga echoes {@code id}, but its parse errors
 * carry none).
 */
public final class GuestAgentConnection implements GuestAgentClient {

  private static final System.Logger LOG = System.getLogger(GuestAgentConnection.class.getName());
  private static final AtomicLong CONNECTIONS = new AtomicLong();
  private static final String SYNC = "guest-sync-delimited";

  private static final Duration THREAD_JOIN = Duration.ofSeconds(5);

  private final GuestAgentSettings settings;
  private final LineChannel channel;
  private final String peer;
  private final ReentrantLock turn = new ReentrantLock(true);
  private final AtomicLong ids = new AtomicLong(ThreadLocalRandom.current().nextLong(1, 1L << 40));
  private final AtomicReference<@Nullable GuestAgentConnectionClosedException> closed =
      new AtomicReference<>();
  private final AgentFrames frames;
  private final ThreadPoolExecutor async;
  private volatile @Nullable Thread asyncThread;
  private volatile boolean closedByClient;

  /** The command that holds the turn, for messages. */
  private volatile @Nullable String current;

  /**
   * Guarded by {@link #turn}: whether the stream must be resynchronized before the next command.
   */
  private boolean needsSync = true;

  private GuestAgentConnection(GuestAgentSettings settings, Transport transport) {
    this.settings = settings;
    this.peer = transport.describe();
    String prefix =
        "qga-" + (settings.name() != null ? settings.name() : CONNECTIONS.incrementAndGet()) + "-";
    this.frames = new AgentFrames(peer, settings.maxMessageBytes(), closed);
    this.channel = new LineChannel(transport, prefix + "reader", frames::readAll, frames::ended);
    // No thread until the first async call, and none once idle for a second.
    this.async =
        new ThreadPoolExecutor(
            0,
            1,
            1,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, prefix + "async");
              t.setDaemon(true);
              asyncThread = t;
              return t;
            });
  }

  /** Opens the socket (trying again while waiting for it) and starts the reader thread. */
  public static GuestAgentConnection open(GuestAgentSettings settings) {
    GuestAgentConnection connection = new GuestAgentConnection(settings, connect(settings));
    connection.channel.start();
    return connection;
  }

  private static Transport connect(GuestAgentSettings settings) {
    long deadline = System.nanoTime() + settings.waitForSocket().toNanos();
    while (true) {
      try {
        return UnixSocketTransport.connect(settings.unixSocket(), settings.connectTimeout());
      } catch (IOException e) {
        if (System.nanoTime() - deadline >= 0) {
          throw new GuestAgentConnectException(
              "cannot connect to the guest agent socket "
                  + settings.unixSocket()
                  + ": "
                  + e.getMessage()
                  + ". Is QEMU running with -chardev socket,path=PATH,server=on,wait=off and"
                  + " -device virtserialport,name=org.qemu.guest_agent.0 on that chardev?",
              e);
        }
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new GuestAgentInterruptedException(
            "interrupted while connecting to " + settings.unixSocket(), e);
      }
    }
  }

  // ---------------------------------------------------------------- public surface

  @Override
  public <R extends @Nullable Object> R execute(GuestAgentCommand<R> command) {
    return execute(command, settings.commandTimeout());
  }

  @Override
  // R extends @Nullable Object (null for a Void command); plain-mode NullAway ignores that bound.
  @SuppressWarnings("NullAway")
  public <R extends @Nullable Object> R execute(GuestAgentCommand<R> command, Duration timeout) {
    Objects.requireNonNull(command, "command");
    timeout = checkTimeout(timeout);
    return call(
        command.name(),
        AgentCodec.encodeArguments(command),
        command.replyType(),
        command.sendsReply(),
        timeout,
        System.nanoTime() + timeout.toNanos());
  }

  @Override
  public <R extends @Nullable Object> CompletableFuture<R> executeAsync(
      GuestAgentCommand<R> command) {
    return executeAsync(command, settings.commandTimeout());
  }

  @Override
  public <R extends @Nullable Object> CompletableFuture<R> executeAsync(
      GuestAgentCommand<R> command, Duration timeout) {
    Objects.requireNonNull(command, "command");
    Duration limit = checkTimeout(timeout);
    JsonNode arguments = AgentCodec.encodeArguments(command);
    return submit(
        command.name(),
        limit,
        deadline ->
            call(
                command.name(),
                arguments,
                command.replyType(),
                command.sendsReply(),
                limit,
                deadline));
  }

  @Override
  public JsonNode execute(String command, @Nullable JsonNode arguments) {
    return execute(command, arguments, settings.commandTimeout());
  }

  @Override
  public JsonNode execute(String command, @Nullable JsonNode arguments, Duration timeout) {
    Objects.requireNonNull(command, "command");
    checkArguments(command, arguments);
    timeout = checkTimeout(timeout);
    JsonNode reply =
        call(
            command,
            arguments,
            JsonNode.class,
            true,
            timeout,
            System.nanoTime() + timeout.toNanos());
    // A command that expects a reply never gets null: decoding rejects a missing or null return.
    return Objects.requireNonNull(reply, command);
  }

  @Override
  public CompletableFuture<JsonNode> executeAsync(
      String command, @Nullable JsonNode arguments, Duration timeout) {
    Objects.requireNonNull(command, "command");
    checkArguments(command, arguments);
    Duration limit = checkTimeout(timeout);
    return submit(
        command,
        limit,
        deadline -> call(command, arguments, JsonNode.class, true, limit, deadline));
  }

  @Override
  public void executeWithoutReply(String command, @Nullable JsonNode arguments) {
    Objects.requireNonNull(command, "command");
    checkArguments(command, arguments);
    Duration timeout = settings.commandTimeout();
    call(command, arguments, Void.class, false, timeout, System.nanoTime() + timeout.toNanos());
  }

  @Override
  public void sync() {
    Duration timeout = settings.commandTimeout();
    acquireTurn(SYNC, timeout, System.nanoTime() + timeout.toNanos());
    try {
      syncLocked();
    } catch (InterruptedException e) {
      throw interrupted(SYNC, e);
    } finally {
      release();
    }
  }

  @Override
  public ExecResult run(GuestExec command, Duration timeout) {
    return ExecPolling.run(this, command, timeout, settings.commandTimeout());
  }

  @Override
  public boolean isOpen() {
    return closed.get() == null;
  }

  @Override
  public String describePeer() {
    return peer;
  }

  @Override
  public void close() {
    closedByClient = true;
    closed.compareAndSet(
        null,
        new GuestAgentConnectionClosedException(
            "the guest agent client for " + peer + " was closed", null));
    channel.close();
    frames.end();
    async.shutdown();
    List<Runnable> queued = new ArrayList<>();
    async.getQueue().drainTo(queued);
    for (Runnable r : queued) {
      if (r instanceof AsyncCall<?> call) {
        call.future.completeExceptionally(closedFor(call.name));
      }
    }
    Thread self = Thread.currentThread();
    try {
      channel.join(THREAD_JOIN);
      Thread worker = asyncThread;
      if (worker != null && self != worker) {
        async.awaitTermination(THREAD_JOIN.toMillis(), TimeUnit.MILLISECONDS);
        worker.join(THREAD_JOIN.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "GuestAgentClient[" + peer + (isOpen() ? "" : ", closed") + "]";
  }

  // ---------------------------------------------------------------- one command

  /** Runs one command; {@code null} for a {@code Void} reply type or a command without a reply. */
  private <R> @Nullable R call(
      String name,
      @Nullable JsonNode arguments,
      Type replyType,
      boolean sendsReply,
      Duration timeout,
      long turnDeadline) {
    ensureOpen(name);
    acquireTurn(name, timeout, turnDeadline);
    try {
      ensureOpen(name);
      // Anything the agent sent while no command waited means the stream may be out of step.
      if (frames.takeUnsolicited() || needsSync) {
        syncLocked();
      }
      long id = ids.incrementAndGet();
      send(name, AgentCodec.encodeRequest(name, arguments, id, false), timeout);
      if (!sendsReply) {
        awaitAcceptance(name, id);
        return null;
      }
      return awaitReply(name, id, replyType, timeout);
    } catch (InterruptedException e) {
      needsSync = true;
      throw interrupted(name, e);
    } finally {
      release();
    }
  }

  private void acquireTurn(String name, Duration timeout, long deadline) {
    try {
      if (!turn.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        String holder = current;
        throw new GuestAgentTimeoutException(
            name
                + " did not get its turn within "
                + format(timeout)
                + ": the guest agent at "
                + peer
                + " runs one command at a time, and "
                + (holder != null ? holder : "another command")
                + " held it all that time",
            timeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GuestAgentInterruptedException(
          "interrupted while " + name + " waited for its turn", e);
    }
    current = name;
    frames.arm();
  }

  private void release() {
    frames.disarm();
    current = null;
    turn.unlock();
  }

  /** Waits for the reply to request {@code id}; a timeout or a broken reply forces a resync. */
  private <R> @Nullable R awaitReply(String name, long id, Type replyType, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Frame frame = frames.next(deadline);
      if (frame == null) {
        needsSync = true;
        throw new GuestAgentTimeoutException(
            name
                + " got no reply from the guest agent at "
                + peer
                + " within "
                + format(timeout)
                + "; the guest may still carry it out, and the client resynchronizes before its"
                + " next command",
            timeout);
      }
      if (frame instanceof End) {
        throw closedFor(name);
      }
      if (frame instanceof Oversized oversized) {
        needsSync = true;
        throw tooLarge(name, oversized);
      }
      if (!(frame instanceof Line line)) {
        continue; // a delimiter without a line: nothing to hand out
      }
      AgentCodec.Reply message = AgentCodec.scan(line.bytes());
      if (message == null) {
        needsSync = true;
        throw new GuestAgentProtocolException(
            "the guest agent at "
                + peer
                + " answered "
                + name
                + " with something that is not a JSON object: "
                + preview(line.bytes()),
            null);
      }
      if (!message.answers(id)) {
        LOG.log(
            System.Logger.Level.DEBUG,
            "dropping a stale reply from {0}: {1}",
            peer,
            preview(line.bytes()));
        continue;
      }
      if (message.hasError()) {
        throw AgentCodec.error(name, message);
      }
      if (!message.hasReturn()) {
        needsSync = true;
        throw new GuestAgentProtocolException(
            "the guest agent at "
                + peer
                + " answered "
                + name
                + " with neither return nor error: "
                + preview(line.bytes()),
            null);
      }
      return AgentCodec.decode(message, line.bytes(), replyType, name, peer);
    }
  }

  /**
   * For a command that sends no reply on success: sends a plain {@code guest-sync-delimited} behind
   * it (no 0xFF first: the stream is in sync, and a 0xFF would only add an error reply) and waits
   * up to the no-reply window for an error, the sync's answer, or nothing.
   */
  private void awaitAcceptance(String name, long id) throws InterruptedException {
    long probe = AgentCodec.randomId();
    try {
      send(
          name,
          AgentCodec.encodeRequest(SYNC, AgentCodec.syncArguments(probe), null, false),
          settings.noReplyWindow());
    } catch (GuestAgentConnectionClosedException e) {
      if (closedByClient) {
        throw e;
      }
      return; // the VM went away right after the command, as after guest-shutdown
    }
    long deadline = System.nanoTime() + settings.noReplyWindow().toNanos();
    boolean delimited = false;
    while (true) {
      Frame frame = frames.next(deadline);
      if (frame == null) {
        needsSync = true; // under way (the guest is suspending): the sync's answer comes later
        return;
      }
      if (frame instanceof End) {
        if (closedByClient) {
          throw closedFor(name);
        }
        return; // the VM went away, as after guest-shutdown: no error was reported
      }
      if (frame instanceof Oversized oversized) {
        needsSync = true;
        throw tooLarge(name, oversized);
      }
      if (frame instanceof Delimiter) {
        delimited = true;
        continue;
      }
      AgentCodec.Reply message = AgentCodec.scan(((Line) frame).bytes());
      if (message == null) {
        needsSync = true;
        throw new GuestAgentProtocolException(
            "the guest agent at "
                + peer
                + " answered "
                + name
                + " with something that is not a"
                + " JSON object: "
                + preview(((Line) frame).bytes()),
            null);
      }
      if (delimited && message.isSyncAnswer(probe)) {
        return; // the agent finished the command without an error and went on to the sync
      }
      if (message.hasError() && message.answers(id)) {
        needsSync = true; // the sync's answer is still on its way
        throw AgentCodec.error(name, message);
      }
    }
  }

  /**
   * Sends 0xFF and {@code guest-sync-delimited} with a random id, then discards everything up to a
   * 0xFF delimiter and every answer without that id.
   */
  private void syncLocked() throws InterruptedException {
    long id = AgentCodec.randomId();
    frames.clear(); // whatever is queued now predates the sync, so it is stale
    frames.takeUnsolicited(); // and so is whatever was skipped
    ensureOpen(SYNC);
    Duration timeout = settings.syncTimeout();
    send(SYNC, AgentCodec.encodeRequest(SYNC, AgentCodec.syncArguments(id), null, true), timeout);
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean delimited = false;
    while (true) {
      Frame frame = frames.next(deadline);
      if (frame == null) {
        throw new GuestAgentTimeoutException(
            "the guest agent did not answer guest-sync-delimited within "
                + format(timeout)
                + ": is qemu-ga running in the guest?",
            timeout);
      }
      if (frame instanceof End) {
        throw closedFor(SYNC);
      }
      if (frame instanceof Oversized) {
        delimited = false; // the reader skips to the next delimiter
      } else if (frame instanceof Delimiter) {
        delimited = true;
      } else if (delimited) {
        AgentCodec.Reply message = AgentCodec.scan(((Line) frame).bytes());
        if (message != null && message.isSyncAnswer(id)) {
          needsSync = false;
          return;
        }
      }
    }
  }

  /**
   * Writes a request within {@code limit}. The agent's socket stops taking bytes once QEMU stops
   * reading it, as when the guest is suspended or qemu-ga is stopped and the virtio-serial buffers
   * are full; the channel then closes under a write that outlives its limit.
   */
  private void send(String name, byte[] bytes, Duration limit) {
    try {
      channel.write(bytes, List.of(), limit);
    } catch (WriteTimeoutException e) {
      closed.compareAndSet(
          null,
          new GuestAgentConnectionClosedException(
              "the connection to the guest agent at "
                  + peer
                  + " was closed because "
                  + name
                  + " could not be sent within "
                  + format(limit)
                  + " (is the guest suspended or frozen, or qemu-ga stopped?)",
              null));
      throw new GuestAgentTimeoutException(
          name
              + " could not be sent to the guest agent at "
              + peer
              + " within "
              + format(limit)
              + ": QEMU does not take more input for the agent (is the guest suspended or"
              + " frozen, or qemu-ga stopped?); the connection was closed, connect again",
          limit);
    } catch (IOException e) {
      if (closed.compareAndSet(
          null,
          new GuestAgentConnectionClosedException(
              "the connection to the guest agent at "
                  + peer
                  + " broke while sending "
                  + name
                  + ": "
                  + e.getMessage(),
              e))) {
        channel.close();
      }
      throw closedFor(name);
    }
  }

  // ---------------------------------------------------------------- asynchronous calls

  private <T> CompletableFuture<T> submit(String name, Duration timeout, Function<Long, T> work) {
    long deadline = System.nanoTime() + timeout.toNanos();
    AsyncCall<T> task = new AsyncCall<>(name, deadline, work);
    if (closed.get() != null) {
      task.future.completeExceptionally(closedFor(name));
      return task.future;
    }
    try {
      async.execute(task);
    } catch (RejectedExecutionException e) {
      task.future.completeExceptionally(closedFor(name));
    }
    return task.future;
  }

  /** A command queued for the async thread. */
  private static final class AsyncCall<T> implements Runnable {
    final String name;
    final long deadline;
    final Function<Long, T> work;
    final CompletableFuture<T> future = new CompletableFuture<>();

    AsyncCall(String name, long deadline, Function<Long, T> work) {
      this.name = name;
      this.deadline = deadline;
      this.work = work;
    }

    @Override
    public void run() {
      if (future.isDone()) {
        return; // cancelled before its turn
      }
      try {
        future.complete(work.apply(deadline));
      } catch (RuntimeException | Error e) {
        future.completeExceptionally(e);
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private void ensureOpen(String name) {
    if (closed.get() != null) {
      throw closedFor(name);
    }
  }

  private GuestAgentConnectionClosedException closedFor(String name) {
    GuestAgentConnectionClosedException reason =
        Objects.requireNonNullElseGet(
            closed.get(),
            () -> new GuestAgentConnectionClosedException("the connection is closed", null));
    return new GuestAgentConnectionClosedException(
        name + " failed: " + reason.getMessage(),
        reason.getCause() != null ? reason.getCause() : reason);
  }

  private GuestAgentProtocolException tooLarge(String name, Oversized oversized) {
    return new GuestAgentProtocolException(
        "the guest agent at "
            + peer
            + " sent a message larger than "
            + settings.maxMessageBytes()
            + " bytes while "
            + name
            + " waited for its reply (raise maxMessageBytes if that is"
            + " legitimate); the client resynchronizes before its next command",
        oversized.cause());
  }

  private static GuestAgentInterruptedException interrupted(String name, InterruptedException e) {
    Thread.currentThread().interrupt();
    return new GuestAgentInterruptedException(
        "interrupted while waiting for " + name + "; the guest agent may still carry it out", e);
  }

  private static Duration checkTimeout(Duration timeout) {
    return Checks.checkTimeout(timeout);
  }

  private static void checkArguments(String command, @Nullable JsonNode arguments) {
    Checks.checkArguments(command, arguments);
  }

  static String format(Duration duration) {
    return Checks.format(duration);
  }

  private static String preview(byte[] line) {
    return Checks.preview(line);
  }
}
