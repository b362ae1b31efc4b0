package io.github.qemucpr.qmp.qapi;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A QAPI (flat) union: a sealed interface with a record per discriminator value that has members of
 * its own, and an {@code Other} record for the rest, including values this SDK does not know.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface QapiDiscriminator {
  /**
   * The member that tells the variant, such as {@code driver}.
   *
   * @return its wire name
   */
  String value();
}
