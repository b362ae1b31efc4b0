package io.github.qemucpr.qmp.qapi;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The QEMU versions, of those the surface is generated from, that have this type, member, branch or
 * enum value; absent when all of them do. A command that the connected QEMU lacks fails with {@link
 * io.github.qemucpr.qmp.QmpCommandNotFoundException}; a member it lacks is rejected by QEMU.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.RECORD_COMPONENT, ElementType.FIELD})
public @interface QemuVersions {
  /**
   * The versions, as major.minor, such as {@code "11.1"}.
   *
   * @return the versions
   */
  String[] value();
}
