package io.github.qemucpr.qmp.qapi;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The variant of a union for one value of its discriminator. */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface QapiBranch {
  /**
   * The discriminator's value, such as {@code qcow2}.
   *
   * @return the value
   */
  String value();
}
