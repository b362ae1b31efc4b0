package io.github.qemucpr.api.internal;

import io.github.qemucpr.api.CprManifest;
import io.github.qemucpr.qmp.QmpClient;
import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.command.MemoryBackend;
import io.github.qemucpr.qmp.command.QomGet;
import io.github.qemucpr.qmp.command.QueryMemdev;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Finds the guest RAM backends ({@code query-memdev}) and reads through QOM what {@code
 * query-memdev} does not say: the backend's type, its {@code mem-path} and {@code discard-data}.
 */
final class MemoryInspector {
  static final String FILE_BACKEND = "memory-backend-file";

  private MemoryInspector() {}

  /**
   * A RAM backend as QEMU reports it.
   *
   * @param id the id, or {@code null} when QEMU gave none (then nothing else could be read)
   * @param type the QOM type, or {@code null} if it could not be read
   * @param size the size in bytes
   * @param memPath the {@code mem-path} of a file backend
   * @param share whether it is mapped shared
   * @param discardData {@code discard-data} of a file backend, or {@code null}
   * @param qomError why QOM could not be read, or {@code null}
   */
  record Backend(
      @Nullable String id,
      @Nullable String type,
      long size,
      @Nullable String memPath,
      boolean share,
      @Nullable Boolean discardData,
      @Nullable String qomError) {

    /** Whether {@code x-ignore-shared} leaves it in place: a shared, named file. */
    boolean savedInPlace() {
      return FILE_BACKEND.equals(type) && share && memPath != null;
    }

    String subject() {
      return id != null ? id : "(backend without id)";
    }

    CprManifest.RamBackend toManifest() {
      return new CprManifest.RamBackend(
          subject(), type != null ? type : "unknown", size, memPath, share, savedInPlace());
    }
  }

  /**
   * Lists the backends; a QOM read that fails is recorded in the backend, a failing {@code
   * query-memdev} is thrown.
   */
  static List<Backend> inspect(QmpClient qmp, Supplier<Duration> timeout) {
    List<MemoryBackend> memdevs = qmp.execute(new QueryMemdev(), timeout.get());
    return new Inspection(qmp, timeout, CompletableFuture.completedFuture(memdevs), Map.of())
        .result();
  }

  /**
   * Sends {@code query-memdev} and, for each of {@code expectedIds}, every QOM read that {@link
   * #inspect} could need ({@code type}, {@code mem-path}, {@code discard-data}), without waiting
   * for any reply: a restore sends them with its other queries while the VM is down. {@link
   * Inspection#result()} gives what {@link #inspect} would; a backend that was not expected gets
   * its reads then, and the {@code mem-path} and {@code discard-data} reads of a backend that is
   * not a file backend are ignored (QEMU fails them: it has no such property).
   */
  static Inspection send(
      QmpClient qmp, Supplier<Duration> timeout, Collection<String> expectedIds) {
    CompletableFuture<List<MemoryBackend>> memdevs =
        qmp.executeAsync(new QueryMemdev(), timeout.get());
    Map<String, Reads> guessed = new LinkedHashMap<>();
    if (!expectedIds.isEmpty()) {
      Duration t = timeout.get();
      for (String id : expectedIds) {
        if (!guessed.containsKey(id)) {
          String path = "/objects/" + id;
          guessed.put(id, new Reads(
              qmp.executeAsync(new QomGet(path, "type").as(String.class), t),
              qmp.executeAsync(new QomGet(path, "mem-path").as(String.class), t),
              qmp.executeAsync(new QomGet(path, "discard-data").as(Boolean.class), t)));
        }
      }
    }
    return new Inspection(qmp, timeout, memdevs, guessed);
  }

  /** The QOM reads sent ahead for one backend. */
  private record Reads(
      CompletableFuture<String> type,
      CompletableFuture<String> memPath,
      CompletableFuture<Boolean> discard) {}

  /** An inspection whose first reads are on their way. */
  static final class Inspection {
    private final QmpClient qmp;
    private final Supplier<Duration> timeout;
    private final CompletableFuture<List<MemoryBackend>> memdevs;
    private final Map<String, Reads> guessed;

    private Inspection(
        QmpClient qmp,
        Supplier<Duration> timeout,
        CompletableFuture<List<MemoryBackend>> memdevs,
        Map<String, Reads> guessed) {
      this.qmp = qmp;
      this.timeout = timeout;
      this.memdevs = memdevs;
      this.guessed = guessed;
    }

    /**
     * Waits for the reads and sends those that were not guessed; a QOM read that fails is
     * recorded in the backend, a failing {@code query-memdev} is thrown.
     */
    List<Backend> result() {
      List<MemoryBackend> memdevs = Pipelined.await(this.memdevs);
      // Send every QOM read at once: a restore runs this while the VM is down.
      Duration t = timeout.get();
      List<CompletableFuture<String>> types = new ArrayList<>();
      for (MemoryBackend m : memdevs) {
        String id = m.id();
        Reads g = id == null ? null : guessed.get(id);
        if (id == null) {
          types.add(CompletableFuture.completedFuture(""));
        } else if (g != null) {
          types.add(g.type());
        } else {
          types.add(qmp.executeAsync(new QomGet("/objects/" + id, "type").as(String.class), t));
        }
      }
      List<Backend> result = new ArrayList<>();
      for (int i = 0; i < memdevs.size(); i++) {
        MemoryBackend m = memdevs.get(i);
        String id = m.id();
        if (id == null) {
          result.add(new Backend(null, null, m.size(), null, m.share(), null, "QEMU gave no id"));
          continue;
        }
        String path = "/objects/" + id;
        Reads g = guessed.get(id);
        try {
          String type = Pipelined.await(types.get(i));
          String memPath = null;
          Boolean discard = null;
          if (FILE_BACKEND.equals(type)) {
            CompletableFuture<String> memPathF =
                g != null
                    ? g.memPath()
                    : qmp.executeAsync(new QomGet(path, "mem-path").as(String.class), t);
            CompletableFuture<Boolean> discardF =
                g != null
                    ? g.discard()
                    : qmp.executeAsync(new QomGet(path, "discard-data").as(Boolean.class), t);
            memPath = Pipelined.await(memPathF);
            discard = Pipelined.await(discardF);
          }
          result.add(new Backend(id, type, m.size(), memPath, m.share(), discard, null));
        } catch (QmpException e) {
          result.add(new Backend(id, null, m.size(), null, m.share(), null, e.getMessage()));
        }
      }
      return result;
    }
  }
}
