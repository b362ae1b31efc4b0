package io.github.qemucpr.qmp;

import io.github.qemucpr.qmp.event.QmpEvent;

/**
 * Receives QMP events. Listeners run one at a time, in arrival order, never on the thread that
 * reads replies: a slow listener delays its own client's later events but not replies, nor another
 * client's events, and a listener may call back into the client (even blocking calls) without
 * deadlock. They run on a thread of a pool that all clients in the JVM share ({@code
 * cpr-qmp-listeners-N}), taken only while events wait for them, so that an idle client holds no
 * thread for its listeners. Whatever a listener throws, an {@code Error} included, is logged; the
 * other listeners still get the event, and delivery goes on. Listeners that fall more than 4,096
 * events (or 4 MiB of decoded events, counted as in {@link EventQueue#CAPACITY_BYTES}) behind lose
 * the events that arrive meanwhile, with a logged warning that counts them, so that a flood from
 * QEMU cannot exhaust memory. Event waits ({@link QmpClient#expectEvent}) and {@link EventQueue}s
 * never depend on listeners: use them for events that must not be missed.
 */
@FunctionalInterface
public interface QmpEventListener {

  /** Called for each event. */
  void onEvent(QmpEvent event);
}
