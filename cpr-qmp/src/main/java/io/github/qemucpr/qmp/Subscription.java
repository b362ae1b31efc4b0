package io.github.qemucpr.qmp;

/** A handle on an event listener; closing it unsubscribes. Idempotent. */
public interface Subscription extends AutoCloseable {

  /** Stops delivery to the listener. Events already queued for it may still arrive. */
  @Override
  void close();
}
