package io.github.qemucpr.qmp.qapi;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The QAPI name of a generated type, command or event, as QEMU's schema spells it. */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface QapiName {
  /**
   * The name, such as {@code BlockdevOptionsQcow2}, {@code query-cpus-fast} or {@code
   * BLOCK_JOB_COMPLETED}.
   *
   * @return the name
   */
  String value();
}
