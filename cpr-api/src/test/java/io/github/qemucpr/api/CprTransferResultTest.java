package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.testing.FakeQmpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link CprTransferResult} is a value that can grow, and the live target client it hands over is
 * not one of its values.
 */
class CprTransferResultTest {
  private final FakeQmpServer server1 = FakeQmpServer.start();
  private final FakeQmpServer server2 = FakeQmpServer.start();
  private final QmpClient client1 = QmpClient.connect(server1.socketPath());
  private final QmpClient client2 = QmpClient.connect(server2.socketPath());

  @AfterEach
  void close() {
    client1.close();
    client2.close();
    server1.close();
    server2.close();
  }

  private CprTransferResult sample() {
    return CprTransferResult.builder()
        .target(client1)
        .targetQmp(Path.of("/run/vm1/qmp-new.sock"))
        .targetProcessId(4242)
        .targetState(RunState.RUNNING)
        .sourceState(RunState.POSTMIGRATE)
        .blackout(Duration.ofMillis(80))
        .blackoutExact(true)
        .qemuDowntime(Duration.ofMillis(60))
        .incomingDeferred(true)
        .sourceQuit(true)
        .phaseDurations(Map.of(CprPhase.LOAD, Duration.ofMillis(90)))
        .total(Duration.ofMillis(500))
        .preflight(CprSaveResultTest.PREFLIGHT)
        .build();
  }

  @Test
  void theBuilderSetsEveryValue() {
    CprTransferResult r = sample();
    assertThat(r.target()).isSameAs(client1);
    assertThat(r.targetQmp()).isEqualTo(Path.of("/run/vm1/qmp-new.sock"));
    assertThat(r.targetProcessId()).hasValue(4242);
    assertThat(r.targetState()).isEqualTo(RunState.RUNNING);
    assertThat(r.sourceState()).isEqualTo(RunState.POSTMIGRATE);
    assertThat(r.blackout()).isEqualTo(Duration.ofMillis(80));
    assertThat(r.blackoutExact()).isTrue();
    assertThat(r.qemuDowntime()).isEqualTo(Duration.ofMillis(60));
    assertThat(r.incomingDeferred()).isTrue();
    assertThat(r.sourceQuit()).isTrue();
    assertThat(r.duration(CprPhase.LOAD)).isEqualTo(Duration.ofMillis(90));
    assertThat(r.total()).isEqualTo(Duration.ofMillis(500));
    assertThat(r.preflight()).isEqualTo(CprSaveResultTest.PREFLIGHT);
  }

  @Test
  void toBuilderMakesAnEqualResultWithTheSameClient() {
    CprTransferResult r = sample();
    CprTransferResult copy = r.toBuilder().build();
    assertThat(copy).isEqualTo(r).hasSameHashCodeAs(r);
    assertThat(copy.target()).isSameAs(client1);
    assertThat(copy.targetProcessId()).hasValue(4242);
    List<UnaryOperator<CprTransferResult.Builder>> changes =
        List.of(
            b -> b.targetQmp(Path.of("/other.sock")),
            b -> b.targetProcessId(1),
            b -> b.targetState(RunState.PAUSED),
            b -> b.sourceState(RunState.SHUTDOWN),
            b -> b.blackout(Duration.ZERO),
            b -> b.blackoutExact(false),
            b -> b.qemuDowntime(null),
            b -> b.incomingDeferred(false),
            b -> b.sourceQuit(false),
            b -> b.phaseDurations(Map.of()),
            b -> b.total(Duration.ZERO),
            b -> b.preflight(new PreflightReport("QEMU 9", List.of(), 0, false, List.of(), false)));
    for (UnaryOperator<CprTransferResult.Builder> change : changes) {
      assertThat(change.apply(r.toBuilder()).build()).isNotEqualTo(r);
    }
  }

  @Test
  void theClientIsNoValue() {
    CprTransferResult r = sample();
    CprTransferResult otherClient = r.toBuilder().target(client2).build();
    assertThat(otherClient).isEqualTo(r).hasSameHashCodeAs(r);
    assertThat(r.toString())
        .doesNotContain(client1.toString())
        .doesNotContain("QmpClient")
        .doesNotContain("target=");
  }

  @Test
  void aProcessIdIsOptional() {
    CprTransferResult r =
        CprTransferResult.builder()
            .target(client1)
            .targetQmp(Path.of("/run/vm1/qmp-new.sock"))
            .targetState(RunState.RUNNING)
            .sourceState(RunState.POSTMIGRATE)
            .blackout(Duration.ZERO)
            .total(Duration.ZERO)
            .preflight(CprSaveResultTest.PREFLIGHT)
            .build();
    assertThat(r.targetProcessId()).isEmpty();
    assertThat(r.toBuilder().build().targetProcessId()).isEmpty();
    assertThat(r.toString()).contains("targetProcessId=null");
    assertThat(r).isNotEqualTo(r.toBuilder().targetProcessId(7).build());
    assertThatThrownBy(() -> CprTransferResult.builder().targetProcessId(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("targetProcessId must be positive: 0");
  }

  @Test
  void toStringNamesEveryValueAsARecordDoes() {
    assertThat(sample().toString())
        .startsWith("CprTransferResult[targetQmp=/run/vm1/qmp-new.sock, targetProcessId=4242, ")
        .contains(
            "targetState=running",
            "sourceState=postmigrate",
            "blackout=PT0.08S",
            "blackoutExact=true",
            "qemuDowntime=PT0.06S",
            "incomingDeferred=true",
            "sourceQuit=true",
            "phaseDurations={LOAD=PT0.09S}",
            "total=PT0.5S",
            "preflight=Preflight of QEMU 10.0.2")
        .endsWith("]");
  }

  @Test
  void requiredValuesAreNamedWhenMissing() {
    assertThatThrownBy(() -> CprTransferResult.builder().build())
        .isInstanceOf(NullPointerException.class)
        .hasMessage("target is required");
    assertThatThrownBy(() -> CprTransferResult.builder().target(client1).build())
        .isInstanceOf(NullPointerException.class)
        .hasMessage("targetQmp is required");
    CprTransferResult.Builder b =
        CprTransferResult.builder().target(client1).targetQmp(Path.of("/t.sock"));
    assertThatThrownBy(b::build).hasMessage("targetState is required");
    b.targetState(RunState.RUNNING);
    assertThatThrownBy(b::build).hasMessage("sourceState is required");
    b.sourceState(RunState.POSTMIGRATE);
    assertThatThrownBy(b::build).hasMessage("blackout is required");
    b.blackout(Duration.ZERO);
    assertThatThrownBy(b::build).hasMessage("total is required");
    b.total(Duration.ZERO);
    assertThatThrownBy(b::build)
        .isInstanceOf(NullPointerException.class)
        .hasMessage("preflight is required");
    assertThatThrownBy(() -> CprTransferResult.builder().target(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("target");
  }
}
