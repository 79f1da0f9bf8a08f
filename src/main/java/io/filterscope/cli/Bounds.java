package io.filterscope.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A whole-number flag's bounds, declared once on its field beside its {@code @Option}: {@link Cli#within(String, Object,
 * String, int)} checks a value against them, and a value picocli cannot read as the field's type ("abc", a number beyond
 * 32 bits) is refused saying them. Either {@code min} and {@code max}, or {@code param}: the bounds of a run field
 * ({@link io.filterscope.engine.preset.Params#RUN_FIELDS}: size, steps, seed) or of another param.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface Bounds {
    long min() default 0;

    long max() default 0;

    String param() default "";
}
