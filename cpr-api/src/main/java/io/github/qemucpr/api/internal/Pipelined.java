package io.github.qemucpr.api.internal;

import io.github.qemucpr.qmp.QmpException;
import io.github.qemucpr.qmp.QmpInterruptedException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Waits for a query sent with {@code executeAsync}. Phases that run while the VM is down send their
 * independent queries at once and wait for them together: QEMU answers them in order either way,
 * but the round trips overlap instead of adding up.
 */
final class Pipelined {
  private Pipelined() {}

  /**
   * The result of {@code future}, with its own failure thrown as it is (a {@link QmpException}
   * subtype, such as a timeout, which the future already carries).
   */
  static <T> T await(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(false);
      Thread.currentThread().interrupt();
      throw new QmpInterruptedException("interrupted while waiting for QEMU", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new QmpException("unexpected failure: " + cause, cause);
    } catch (CancellationException e) {
      throw new QmpException("a query was cancelled", e);
    }
  }
}
