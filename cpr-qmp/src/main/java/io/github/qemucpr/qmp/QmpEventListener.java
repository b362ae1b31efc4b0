package io.github.qemucpr.qmp;

import io.github.qemucpr.qmp.event.QmpEvent;

/**
 * Receives QMP events. Listeners run one at a time, in arrival order, on the client's event
 * thread, never on the thread that reads replies: a slow listener delays later events but not
 * replies, and a listener may call back into the client (even blocking calls) without deadlock.
 * An exception thrown by a listener is logged and does not stop delivery. Listeners that fall
 * more than 10,000 events (or 64 MiB of them) behind lose the events that arrive meanwhile, with a
 * logged warning that counts them, so that a flood from QEMU cannot exhaust memory.
 */
@FunctionalInterface
public interface QmpEventListener {

  /** Called for each event. */
  void onEvent(QmpEvent event);
}
