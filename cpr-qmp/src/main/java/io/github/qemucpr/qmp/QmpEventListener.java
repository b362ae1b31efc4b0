package io.github.qemucpr.qmp;

import io.github.qemucpr.qmp.event.QmpEvent;

/**
 * Receives QMP events. Listeners run one at a time, in arrival order, on the client's event thread,
 * never on the thread that reads replies: a slow listener delays later events but not replies, and
 * a listener may call back into the client (even blocking calls) without deadlock. Whatever a
 * listener throws, an {@code Error} included, is logged; the other listeners still get the event,
 * and delivery goes on. Listeners that fall more than 4,096 events (or 4 MiB of decoded events,
 * counted as in {@link EventQueue#CAPACITY_BYTES}) behind lose the events that arrive meanwhile,
 * with a logged warning that counts them, so that a flood from QEMU cannot exhaust memory. Event
 * waits ({@link QmpClient#expectEvent}) and {@link EventQueue}s never depend on listeners: use them
 * for events that must not be missed.
 */
@FunctionalInterface
public interface QmpEventListener {

  /** Called for each event. */
  void onEvent(QmpEvent event);
}
