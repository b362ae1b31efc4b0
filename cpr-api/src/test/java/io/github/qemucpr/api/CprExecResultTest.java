package io.github.qemucpr.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.qemucpr.qmp.QemuVersion;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.RunState;
import io.github.qemucpr.testing.FakeQmpServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link CprExecResult} is a value that can grow, and the live client it hands over is not one of
 * its values.
 */
class CprExecResultTest {
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

  private CprExecResult sample() {
    return CprExecResult.builder()
        .client(client1)
        .runState(RunState.RUNNING)
        .processId(4242)
        .versionBefore(new QemuVersion(10, 2, 0))
        .versionAfter(new QemuVersion(11, 1, 0))
        .blackout(Duration.ofMillis(120))
        .blackoutExact(true)
        .monitorGap(Duration.ofMillis(100))
        .phaseDurations(Map.of(CprPhase.CONNECT_TARGET, Duration.ofMillis(110)))
        .total(Duration.ofMillis(700))
        .preflight(CprSaveResultTest.PREFLIGHT)
        .build();
  }

  @Test
  void theBuilderSetsEveryValue() {
    CprExecResult r = sample();
    assertThat(r.client()).isSameAs(client1);
    assertThat(r.runState()).isEqualTo(RunState.RUNNING);
    assertThat(r.processId()).isEqualTo(4242);
    assertThat(r.versionBefore()).isEqualTo(new QemuVersion(10, 2, 0));
    assertThat(r.versionAfter()).isEqualTo(new QemuVersion(11, 1, 0));
    assertThat(r.blackout()).isEqualTo(Duration.ofMillis(120));
    assertThat(r.blackoutExact()).isTrue();
    assertThat(r.monitorGap()).isEqualTo(Duration.ofMillis(100));
    assertThat(r.duration(CprPhase.CONNECT_TARGET)).isEqualTo(Duration.ofMillis(110));
    assertThat(r.total()).isEqualTo(Duration.ofMillis(700));
    assertThat(r.preflight()).isEqualTo(CprSaveResultTest.PREFLIGHT);
  }

  @Test
  void toBuilderMakesAnEqualResultWithTheSameClient() {
    CprExecResult r = sample();
    CprExecResult copy = r.toBuilder().build();
    assertThat(copy).isEqualTo(r).hasSameHashCodeAs(r);
    assertThat(copy.client()).isSameAs(client1);
    List<UnaryOperator<CprExecResult.Builder>> changes =
        List.of(
            b -> b.runState(RunState.PAUSED),
            b -> b.processId(1),
            b -> b.versionBefore(new QemuVersion(10, 1, 0)),
            b -> b.versionAfter(new QemuVersion(10, 2, 0)),
            b -> b.blackout(Duration.ZERO),
            b -> b.blackoutExact(false),
            b -> b.monitorGap(Duration.ZERO),
            b -> b.phaseDurations(Map.of()),
            b -> b.total(Duration.ZERO),
            b -> b.preflight(new PreflightReport("QEMU 9", List.of(), 0, false, List.of(), false)));
    for (UnaryOperator<CprExecResult.Builder> change : changes) {
      assertThat(change.apply(r.toBuilder()).build()).isNotEqualTo(r);
    }
  }

  @Test
  void theClientIsNoValue() {
    CprExecResult r = sample();
    assertThat(r.toBuilder().client(client2).build()).isEqualTo(r).hasSameHashCodeAs(r);
    assertThat(r.toString())
        .doesNotContain(client1.toString())
        .doesNotContain("QmpClient")
        .doesNotContain("client=");
  }

  @Test
  void toStringNamesEveryValueAsARecordDoes() {
    assertThat(sample().toString())
        .startsWith("CprExecResult[runState=running, processId=4242, ")
        .contains(
            "versionBefore=10.2.0",
            "versionAfter=11.1.0",
            "blackout=PT0.12S",
            "blackoutExact=true",
            "monitorGap=PT0.1S",
            "phaseDurations={CONNECT_TARGET=PT0.11S}",
            "total=PT0.7S",
            "preflight=Preflight of QEMU 10.0.2")
        .endsWith("]");
  }

  @Test
  void requiredValuesAreNamedWhenMissing() {
    CprExecResult.Builder b = CprExecResult.builder();
    assertThatThrownBy(b::build)
        .isInstanceOf(NullPointerException.class)
        .hasMessage("client is required");
    b.client(client1);
    assertThatThrownBy(b::build).hasMessage("runState is required");
    b.runState(RunState.RUNNING);
    assertThatThrownBy(b::build).hasMessage("versionBefore is required");
    b.versionBefore(new QemuVersion(10, 2, 0));
    assertThatThrownBy(b::build).hasMessage("versionAfter is required");
    b.versionAfter(new QemuVersion(10, 2, 0));
    assertThatThrownBy(b::build).hasMessage("blackout is required");
    b.blackout(Duration.ZERO);
    assertThatThrownBy(b::build).hasMessage("monitorGap is required");
    b.monitorGap(Duration.ZERO);
    assertThatThrownBy(b::build).hasMessage("total is required");
    b.total(Duration.ZERO);
    assertThatThrownBy(b::build)
        .isInstanceOf(NullPointerException.class)
        .hasMessage("preflight is required");
    assertThat(b.preflight(CprSaveResultTest.PREFLIGHT).build().processId()).isZero();
  }
}
