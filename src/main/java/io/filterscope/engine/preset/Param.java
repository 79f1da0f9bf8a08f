package io.filterscope.engine.preset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.filterscope.UserError;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One render setting, declared once: its name on the wire and the command line, type, bounds, unit, help
 * text, its default in the {@code plain} preset, a slider range that suits most models, and whether it may
 * change while a run goes. {@link Params} lists them all; presets override the defaults.
 *
 * @param <T> Double, Integer, Boolean, an enum (a choice, written in lower case) or List&lt;Double&gt;
 */
public final class Param<T> {

    public enum Type { NUMBER, INTEGER, BOOLEAN, CHOICE, NUMBER_LIST }

    /** The part of a run a setting belongs to, as the page groups its controls. */
    public enum Group { RUN, OPTIMIZER, PARAMETERIZATION, TRANSFORMS, REGULARIZERS, PENALTIES, BACKWARD }

    /** A slider's range and step for the page: narrower than the bounds, what most models want. */
    public record Slider(double min, double max, double step) {
    }

    /** The most factors a list setting takes. */
    static final int MAX_ITEMS = 32;

    private final String name;
    private final Type type;
    private final Group group;
    private final T base;
    private final double min;
    private final double max;
    private final String unit;
    private final String help;
    private final Class<? extends Enum<?>> choices;
    private final Slider slider;
    private final boolean live;

    private Param(String name, Type type, Group group, T base, double min, double max, String unit, String help,
                  Class<? extends Enum<?>> choices, Slider slider, boolean live) {
        this.name = name;
        this.type = type;
        this.group = group;
        this.base = base;
        this.min = min;
        this.max = max;
        this.unit = unit;
        this.help = help;
        this.choices = choices;
        this.slider = slider;
        this.live = live;
        check(base);
    }

    static Param<Double> number(String name, Group group, double base, double min, double max, String unit, String help) {
        return new Param<>(name, Type.NUMBER, group, base, min, max, unit, help, null, null, true);
    }

    /** @param base null when the default depends on the model (an image's size) */
    static Param<Integer> integer(String name, Group group, Integer base, int min, int max, String unit, String help) {
        return new Param<>(name, Type.INTEGER, group, base, min, max, unit, help, null, null, true);
    }

    static Param<Boolean> bool(String name, Group group, boolean base, String help) {
        return new Param<>(name, Type.BOOLEAN, group, base, 0, 1, "", help, null, null, true);
    }

    static <E extends Enum<E>> Param<E> choice(String name, Group group, E base, String help) {
        return new Param<>(name, Type.CHOICE, group, base, 0, 0, "", help, base.getDeclaringClass(), null, true);
    }

    /** A list of at most {@link #MAX_ITEMS} numbers, each within [min, max]. */
    static Param<List<Double>> numbers(String name, Group group, double min, double max, String unit, String help) {
        return new Param<>(name, Type.NUMBER_LIST, group, List.of(), min, max, unit, help, null, null, true);
    }

    /** The same setting with a slider range for the page. */
    Param<T> slider(double from, double to, double step) {
        return new Param<>(name, type, group, base, min, max, unit, help, choices, new Slider(from, to, step), live);
    }

    /** The same setting, fixed for a run: changing it needs a new run. */
    Param<T> fixed() {
        return new Param<>(name, type, group, base, min, max, unit, help, choices, slider, false);
    }

    public String name() {
        return name;
    }

    public Type type() {
        return type;
    }

    public Group group() {
        return group;
    }

    /** Its value in the {@code plain} preset (null: the model's own, for {@link Params#SIZE}). */
    public T base() {
        return base;
    }

    /** Lowest allowed value (of each item, for a list); not meaningful for booleans and choices. */
    public double min() {
        return min;
    }

    public double max() {
        return max;
    }

    public String unit() {
        return unit;
    }

    public String help() {
        return help;
    }

    /** For a slider on the page, or null (booleans, choices, lists). */
    public Slider slider() {
        return slider;
    }

    /** Whether it may change while a run goes. */
    public boolean live() {
        return live;
    }

    /** The allowed values of a choice, as written on the wire; empty for other types. */
    public List<String> choices() {
        return choices == null ? List.of() : Arrays.stream(choices.getEnumConstants()).map(Param::wireName).toList();
    }

    /** How an enum constant is written: its name in lower case. */
    public static String wireName(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    /** {@code value} if it is within bounds. @throws UserError naming the setting and its bounds */
    public T check(T value) {
        if (value == null) {
            require(base == null, name + " needs a value");
            return null;
        }
        switch (type) {
            case NUMBER, INTEGER -> range(name, ((Number) value).doubleValue());
            case NUMBER_LIST -> {
                List<?> list = (List<?>) value;
                require(list.size() <= MAX_ITEMS, name + " may list at most " + MAX_ITEMS + " factors");
                list.forEach(v -> range(name + " factor", ((Number) v).doubleValue()));
            }
            default -> {
            }
        }
        return value;
    }

    private void range(String what, double v) {
        range(what, v, format(v));
    }

    /** @param shown the value as the message gives it (a JSON number beyond 64 bits as it was written) */
    private void range(String what, double v, String shown) {
        require(Double.isFinite(v) && v >= min && v <= max, what + " must be between " + format(min) + " and " + format(max)
                + ", got " + shown);
    }

    /** {@code v} if this integer setting takes it. @throws UserError such as {@code "steps" must be a whole number from 1 to 100000, got 0} */
    public int within(int v) {
        require(v >= min && v <= max, "\"" + name + "\" must be " + wholeNumbers() + ", got " + v);
        return v;
    }

    /** What an integer setting takes, for messages: "a whole number from 1 to 100000". */
    public String wholeNumbers() {
        return "a whole number from " + format(min) + " to " + format(max);
    }

    /** Whole numbers of an integer setting without a decimal point. */
    private String format(double v) {
        return type == Type.INTEGER ? String.valueOf((long) v) : String.valueOf(v);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new UserError(message);
        }
    }

    /** Reads a JSON value: checks its type and bounds. @throws UserError saying what was expected */
    @SuppressWarnings("unchecked")
    T read(JsonNode v) {
        String what = "param '" + name + "' must be ";
        Object value = switch (type) {
            case NUMBER -> {
                require(v.isNumber(), what + "a number");
                yield v.asDouble();
            }
            case INTEGER -> {
                require(v.isNumber(), what + "a number");
                require(v.isIntegralNumber(), what + "a whole number");
                if (!v.canConvertToInt()) {
                    range(name, v.asDouble(), v.asText()); // beyond 32 bits: out of every integer setting's bounds
                }
                yield v.asInt();
            }
            case BOOLEAN -> {
                require(v.isBoolean(), what + "true or false");
                yield v.asBoolean();
            }
            case CHOICE -> {
                require(v.isTextual() && choices().contains(v.asText()), name + " must be " + String.join(" or ",
                        choices().stream().map(c -> "\"" + c + "\"").toList()));
                yield choices.getEnumConstants()[choices().indexOf(v.asText())];
            }
            case NUMBER_LIST -> {
                require(v.isArray(), what + "a list of numbers");
                List<Double> list = new ArrayList<>();
                for (JsonNode item : v) {
                    require(item.isNumber(), what + "a list of numbers");
                    list.add(item.asDouble());
                }
                yield List.copyOf(list);
            }
        };
        return check((T) value);
    }

    /** The value as JSON, as {@link #read} takes it back. */
    JsonNode write(Object value) {
        JsonNodeFactory json = JsonNodeFactory.instance;
        if (value == null) {
            return json.nullNode();
        }
        return switch (type) {
            case NUMBER -> json.numberNode((Double) value);
            case INTEGER -> json.numberNode((Integer) value);
            case BOOLEAN -> json.booleanNode((Boolean) value);
            case CHOICE -> json.textNode(wireName((Enum<?>) value));
            case NUMBER_LIST -> {
                var array = json.arrayNode();
                ((List<?>) value).forEach(d -> array.add((Double) d));
                yield array;
            }
        };
    }

    @Override
    public String toString() {
        return name;
    }
}
