package io.github.qemucpr.qmp.qapi;

/**
 * A generated QAPI enum: open, so that a value a newer QEMU adds decodes (as a value with that wire
 * name) instead of failing. The known values are constants; {@code of(String)} makes any.
 */
public interface QapiEnum {
  /**
   * The value as QEMU spells it, such as {@code host_device}.
   *
   * @return the wire name
   */
  String wireName();
}
