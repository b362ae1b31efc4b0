package io.github.qemucpr.qmp.qapi;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * QAPI's {@code if}: the type, command, event, member, branch or enum value exists only in a QEMU
 * built with this condition, such as {@code CONFIG_SPICE}, or for some targets only.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.RECORD_COMPONENT, ElementType.FIELD})
public @interface QapiIf {
  /**
   * The condition, as the schema states it: a configuration symbol, or {@code and}, {@code or} and
   * {@code not} of them.
   *
   * @return the condition
   */
  String value();
}
