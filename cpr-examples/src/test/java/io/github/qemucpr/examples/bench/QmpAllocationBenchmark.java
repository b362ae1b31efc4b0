package io.github.qemucpr.examples.bench;

import io.github.qemucpr.launcher.QemuInstance;
import io.github.qemucpr.launcher.QemuLauncher;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.command.QueryStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The allocation per {@code query-status} of the SDK and of the raw clients, for JMH's gc profiler
 * ({@code -prof gc}): {@code gc.alloc.rate.norm} counts the bytes that every thread of the JVM
 * allocated per operation, so the SDK's reader, event and timer threads are included. Each
 * benchmark gets its own machine-only QEMU (a QMP monitor serves one client). Run by {@code
 * scripts/bench.sh}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class QmpAllocationBenchmark {
  private static final QueryStatus QUERY_STATUS = new QueryStatus();
  private static final io.github.qemucpr.qmp.qapi.runstate.QueryStatus GENERATED_QUERY_STATUS =
      new io.github.qemucpr.qmp.qapi.runstate.QueryStatus();
  private static final byte[] REQUEST =
      "{\"execute\":\"query-status\"}\n".getBytes(StandardCharsets.UTF_8);
  private static final int BATCH = 64;

  /** A QEMU and a connection to it, for one benchmark. */
  @State(Scope.Benchmark)
  public static class Qemu {
    QemuLauncher vm;
    QemuInstance qemu;
    QmpClient sdk;
    RawQmp raw;
    byte[] batch;

    @Setup(Level.Trial)
    public void start(org.openjdk.jmh.infra.BenchmarkParams params) {
      vm = QemuLauncher.builder().memoryMiB(64).build();
      qemu = vm.start();
      if (params.getBenchmark().contains(".sdk")) {
        sdk = QmpClient.connect(qemu.qmpSocket());
      } else {
        raw = RawQmp.connectQmp(qemu.qmpSocket(), Duration.ofSeconds(30));
        raw.deadline(Duration.ofHours(1));
        batch = new byte[REQUEST.length * BATCH];
        for (int i = 0; i < BATCH; i++) {
          System.arraycopy(REQUEST, 0, batch, i * REQUEST.length, REQUEST.length);
        }
      }
    }

    @TearDown(Level.Trial)
    public void stop() {
      if (sdk != null) {
        sdk.close();
      }
      if (raw != null) {
        raw.close();
      }
      qemu.close();
      vm.close();
    }
  }

  /** The SDK's blocking call on the benchmark thread. */
  @Benchmark
  public Object sdkExecute(Qemu q) {
    return q.sdk.execute(QUERY_STATUS);
  }

  /** The same with the generated command, whose codec reads the record's shape by reflection. */
  @Benchmark
  public Object sdkExecuteGenerated(Qemu q) {
    return q.sdk.execute(GENERATED_QUERY_STATUS);
  }

  /** The SDK's async call, 64 in flight, then waited for. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public Object sdkExecuteAsync64(Qemu q) {
    CompletableFuture<?>[] futures = new CompletableFuture<?>[BATCH];
    for (int i = 0; i < BATCH; i++) {
      futures[i] = q.sdk.executeAsync(QUERY_STATUS);
    }
    return CompletableFuture.allOf(futures).join();
  }

  /** The raw client, one command at a time. */
  @Benchmark
  public int rawSequential(Qemu q) {
    q.raw.write(REQUEST);
    return q.raw.readReplies(1, null, 0);
  }

  /** The raw client, 64 commands written, then 64 replies read. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int rawPipelined64(Qemu q) {
    q.raw.write(q.batch);
    return q.raw.readReplies(BATCH, null, 0);
  }
}
