package io.github.qemucpr.qga.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.qemucpr.qga.GuestAgentClient;
import io.github.qemucpr.qga.GuestAgentCommandException;
import io.github.qemucpr.qga.GuestAgentException;
import io.github.qemucpr.qga.GuestAgentProtocolException;
import io.github.qemucpr.qga.GuestAgentTimeoutException;
import io.github.qemucpr.qga.command.ExecStatus;
import io.github.qemucpr.qga.command.GuestExec;
import io.github.qemucpr.qga.command.GuestExecStatus;
import io.github.qemucpr.qga.command.GuestFsfreezeStatus;
import io.github.qemucpr.qga.command.GuestGetHostName;
import io.github.qemucpr.qga.command.GuestGetOsInfo;
import io.github.qemucpr.qga.command.GuestGetTime;
import io.github.qemucpr.qga.command.GuestInfo;
import io.github.qemucpr.qmp.fuzz.FuzzBudget;
import io.github.qemucpr.qmp.fuzz.LinePeer;
import io.github.qemucpr.qmp.fuzz.Mutator;
import io.github.qemucpr.qmp.fuzz.NullContract;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Fuzzes the guest agent client's reader, its {@code guest-sync-delimited} resynchronization and
 * its reply decoding through a real socket, with one long-lived connection, as a manager keeps one.
 *
 * <p>Input layout: byte 0 picks the call (low bits) and whether the script also answers the syncs
 * (bit 7; otherwise they get proper answers); the rest is parts separated by 0x00 (sent with a
 * newline) or 0x01 (sent as they are), answering the requests in order, with {@code "@ID"} replaced
 * by the request's id and {@code "@SYNC"} by the sync's id (quoted, so that the script stays JSON
 * for the structural mutations; bare works too). After the script the agent behaves.
 *
 * <p>Allowed: the call returns a value that keeps its null contract, or fails with a {@link
 * GuestAgentProtocolException}, {@link GuestAgentTimeoutException} or {@link
 * GuestAgentCommandException}, and does not hang ({@link #sessionOnABudget}'s hang bound, which
 * saves the input). Then, whatever the agent sent, {@code sync()} puts the stream right and {@code
 * ping()} succeeds: the client never stays out of step.
 */
@Timeout(600)
class GuestAgentFuzzTest {

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Duration TIMEOUT = Duration.ofMillis(150);

  private static final List<String> TOKENS =
      Stream.concat(
              Mutator.JSON_TOKENS.stream(),
              Stream.of(
                  "@ID",
                  "@SYNC",
                  "\u00ff",
                  "\"pid\"",
                  "\"exited\"",
                  "\"exitcode\"",
                  "\"signal\"",
                  "\"out-data\"",
                  "\"err-data\"",
                  "\"out-truncated\"",
                  "\"host-name\"",
                  "\"supported_commands\"",
                  "\"enabled\"",
                  "\"success-response\"",
                  "\"version\"",
                  "\"kernel-release\"",
                  "\"pretty-name\"",
                  "\"frozen\"",
                  "\"thawed\"",
                  "\"aGk=\"",
                  "\"!!\"",
                  "\"a\"",
                  "\"aGk=a\"",
                  "\"=\"",
                  "18446744073709551616"))
          .toList();

  private static @Nullable LinePeer agent;
  private static @Nullable GuestAgentClient client;

  /** One agent and one client for the whole run; a client the agent closed is replaced. */
  private static synchronized GuestAgentClient client() {
    if (agent == null) {
      agent = LinePeer.start(new Script(List.of(), false));
    }
    if (client == null || !client.isOpen()) {
      client =
          GuestAgentClient.builder()
              .unixSocket(agent.socketPath())
              .name("fuzz")
              .syncTimeout(TIMEOUT)
              .commandTimeout(TIMEOUT)
              .noReplyWindow(Duration.ofMillis(30))
              .maxMessageBytes(1024)
              .connect();
    }
    return client;
  }

  @AfterAll
  static synchronized void stop() {
    if (client != null) {
      client.close();
      client = null;
    }
    if (agent != null) {
      agent.close();
      agent = null;
    }
  }

  @FuzzTest(maxDuration = "2m")
  void session(byte[] data) {
    if (data.length == 0) {
      return;
    }
    GuestAgentClient qga = client();
    LinePeer peer = agent;
    int op = data[0] & 0x7F;
    boolean scriptSyncs = (data[0] & 0x80) != 0;
    peer.handler(Script.parse(data, 1, scriptSyncs));

    try {
      Object value = call(qga, op);
      NullContract.check(value);
      if (value instanceof ExecStatus status) { // what a caller does with it must not throw
        status.stdout();
        status.stderr();
      }
    } catch (GuestAgentProtocolException
        | GuestAgentTimeoutException
        | GuestAgentCommandException e) {
      // what a broken agent earns
    }

    // Whatever came before, the client gets back in step with an agent that behaves.
    peer.handler(new Script(List.of(), false));
    assertThat(recovers(qga::sync)).as("sync() after the script").isTrue();
    assertThat(recovers(qga::ping)).as("ping() after the sync").isTrue();
    assertThat(qga.isOpen()).isTrue();
  }

  @Test
  void sessionOnABudget() throws InterruptedException {
    FuzzBudget.run(
        getClass(),
        "session",
        FuzzBudget.tries(150, 50),
        1500,
        TOKENS,
        Duration.ofSeconds(20),
        this::session);
  }

  private static @Nullable Object call(GuestAgentClient qga, int op) {
    return switch (op % 10) {
      case 0 -> qga.execute(new GuestGetOsInfo());
      case 1 -> qga.execute(new GuestInfo());
      case 2 -> qga.execute(new GuestExecStatus(42));
      case 3 -> qga.execute(new GuestGetTime());
      case 4 -> qga.execute(new GuestGetHostName());
      case 5 -> qga.execute(new GuestFsfreezeStatus());
      case 6 -> {
        qga.executeWithoutReply("guest-suspend-ram", null);
        yield null;
      }
      case 7 -> qga.run(GuestExec.of("/bin/true"), Duration.ofMillis(300));
      case 8 -> qga.execute("guest-anything", null);
      default -> {
        qga.sync();
        yield null;
      }
    };
  }

  /** Whether {@code action} succeeds within three tries (a timeout on a loaded machine is fine). */
  private static boolean recovers(Runnable action) {
    GuestAgentException last = null;
    for (int i = 0; i < 3; i++) {
      try {
        action.run();
        return true;
      } catch (GuestAgentTimeoutException e) {
        last = e;
      }
    }
    throw new AssertionError("the client did not get back in step", last);
  }

  /** The agent's side, as the input scripts it; requests past the script get proper answers. */
  private static final class Script implements LinePeer.Handler {
    private final List<byte[]> parts;
    private final boolean scriptSyncs;
    private final AtomicInteger next = new AtomicInteger();

    Script(List<byte[]> parts, boolean scriptSyncs) {
      this.parts = parts;
      this.scriptSyncs = scriptSyncs;
    }

    static Script parse(byte[] data, int from, boolean scriptSyncs) {
      List<byte[]> parts = new ArrayList<>();
      ByteArrayOutputStream part = new ByteArrayOutputStream();
      for (int i = from; i < data.length; i++) {
        byte b = data[i];
        if (b == 0 || b == 1) {
          if (b == 0) {
            part.write('\n');
          }
          parts.add(part.toByteArray());
          part.reset();
        } else {
          part.write(b);
        }
      }
      if (part.size() > 0) {
        part.write('\n');
        parts.add(part.toByteArray());
      }
      return new Script(parts, scriptSyncs);
    }

    @Override
    public void connected(LinePeer.Out out) {}

    @Override
    public void request(byte[] line, LinePeer.Out out) {
      JsonNode request;
      try {
        request = JSON.readTree(line);
      } catch (JacksonException e) {
        return;
      }
      String command = request.path("execute").asString("");
      String id = String.valueOf(request.path("id").asLong(0));
      String syncId = String.valueOf(request.path("arguments").path("id").asLong(0));
      boolean sync = command.equals("guest-sync-delimited");
      if (!sync || scriptSyncs) {
        int n = next.getAndIncrement();
        if (n < parts.size()) {
          out.write(
              new String(parts.get(n), StandardCharsets.ISO_8859_1)
                  .replace("\"@SYNC\"", syncId)
                  .replace("@SYNC", syncId)
                  .replace("\"@ID\"", id)
                  .replace("@ID", id)
                  .getBytes(StandardCharsets.ISO_8859_1));
          return;
        }
      }
      out.write(properAnswer(command, id, syncId));
    }

    private static byte[] properAnswer(String command, String id, String syncId) {
      Supplier<String> reply =
          () ->
              switch (command) {
                case "guest-sync-delimited" -> "\u00ff{\"return\": " + syncId + "}\n";
                case "guest-suspend-ram" -> "";
                case "guest-exec" -> "{\"return\": {\"pid\": 42}, \"id\": " + id + "}\n";
                case "guest-exec-status" ->
                    "{\"return\": {\"exited\": true, \"exitcode\": 0}, \"id\": " + id + "}\n";
                default -> "{\"return\": {}, \"id\": " + id + "}\n";
              };
      return reply.get().getBytes(StandardCharsets.ISO_8859_1);
    }
  }
}
