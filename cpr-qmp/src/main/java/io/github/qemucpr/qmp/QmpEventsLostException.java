package io.github.qemucpr.qmp;

/**
 * An {@link EventQueue} held as many events as it may and had to stop taking them: the events after
 * those it holds are lost to it. The caller cannot know from the queue what happened since; it asks
 * QEMU (a {@code query-*} command) instead.
 */
public final class QmpEventsLostException extends QmpException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; {@code message} says which queue and how far it was behind. */
  public QmpEventsLostException(String message) {
    super(message);
  }
}
