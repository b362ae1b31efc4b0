package io.github.qemucpr.qmp.qapi;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** A record component that is a member on the wire: its name there, and how it is encoded. */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface QapiMember {
  /**
   * The member's name on the wire, such as {@code node-name}.
   *
   * @return the name
   */
  String value();

  /**
   * Whether the member may be left out: then the component is null, and it is not sent.
   *
   * @return whether it is optional
   */
  boolean optional() default false;

  /**
   * Whether the member is an unsigned 64-bit integer ({@code uint64}, {@code size}) held in a
   * {@code long}: read it with {@link Long#toUnsignedString(long)}.
   *
   * @return whether it is unsigned
   */
  boolean unsigned() default false;

  /**
   * Whether the member is an integer whose width is not known, because the only QEMU versions that
   * have it were read from QEMU's reference manual, which writes every integer type as {@code int}.
   * It may be a {@code uint64}: a value from 2<sup>63</sup> to 2<sup>64</sup>-1 decodes to the
   * {@code long} with the same bits (read it with {@link Long#toUnsignedString(long)}) instead of
   * failing; a value is sent as the signed {@code long} it holds.
   *
   * @return whether a value above {@link Long#MAX_VALUE} decodes as unsigned
   */
  boolean mayBeUnsigned() default false;
}
