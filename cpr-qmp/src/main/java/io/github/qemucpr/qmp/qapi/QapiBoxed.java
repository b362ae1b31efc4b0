package io.github.qemucpr.qmp.qapi;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A record component whose own members sit in the enclosing JSON object, not under a name of their
 * own: the arguments of a command given as one named type (such as {@code blockdev-add}'s {@code
 * BlockdevOptions}), the data of such an event, or a union as the branch of a union.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface QapiBoxed {}
