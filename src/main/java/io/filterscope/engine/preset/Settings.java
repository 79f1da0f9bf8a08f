package io.filterscope.engine.preset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.filterscope.UserError;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A value for every setting of {@link Params}, each checked against its declaration. Immutable: {@link #with}
 * gives new settings. Presets start from their defaults; a run's params (the protocol's {@code params}, the
 * command line's {@code --params}) replace some of them, and the settings remember which were given that way, so
 * a value the user asked for is kept even where it equals the preset's default ({@link #withChanges}).
 */
public final class Settings {
    private final Map<Param<?>, Object> values;
    /** The settings a run's params gave, whatever their value. */
    private final Set<Param<?>> given;

    private Settings(Map<Param<?>, Object> values, Set<Param<?>> given) {
        this.values = values;
        this.given = given;
    }

    /** Every setting at its {@link Param#base} value: the {@code plain} preset. */
    static Settings base() {
        Map<Param<?>, Object> all = new LinkedHashMap<>();
        Params.ALL.forEach(p -> all.put(p, p.base()));
        return new Settings(all, Set.of());
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Param<T> param) {
        return (T) values.get(param);
    }

    /** These settings with one replaced, as a preset's default (not counted as given). @throws UserError when the value is out of bounds */
    public <T> Settings with(Param<T> param, T value) {
        Map<Param<?>, Object> next = new LinkedHashMap<>(values);
        next.put(param, param.check(value));
        return new Settings(next, given);
    }

    /**
     * These settings with the fields present in {@code changes} (a JSON object, as the protocol sends params)
     * replaced and counted as given; null changes nothing.
     *
     * @throws UserError for a field that is no setting, or a value of the wrong type or out of bounds
     */
    public Settings with(JsonNode changes) {
        if (changes == null || changes.isNull()) {
            return this;
        }
        if (!changes.isObject()) {
            throw new UserError("params must be a JSON object");
        }
        Map<Param<?>, Object> next = new LinkedHashMap<>(values);
        Set<Param<?>> nextGiven = new LinkedHashSet<>(given);
        for (Iterator<Map.Entry<String, JsonNode>> it = changes.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Param<?> param = Params.named(e.getKey());
            next.put(param, param.read(e.getValue()));
            nextGiven.add(param);
        }
        return new Settings(next, Set.copyOf(nextGiven));
    }

    /**
     * The settings that may not change while a run goes ({@link Param#live}, as {@code /api/params} says) whose value
     * {@code next} changes, in the schema's order: what an update asking for {@code next} is refused for.
     */
    public List<Param<?>> fixedChanges(Settings next) {
        return Params.ALL.stream().filter(p -> !p.live() && !Objects.equals(get(p), next.get(p))).toList();
    }

    /**
     * These settings with every setting {@code changed} was given, or where it differs from {@code base}, taken
     * from {@code changed}: how a preset that stands in for another (data-prior's fallback to natural) keeps what
     * the run asked for, including a value that happens to be the other preset's default.
     */
    public Settings withChanges(Settings base, Settings changed) {
        Map<Param<?>, Object> next = new LinkedHashMap<>(values);
        changed.values.forEach((p, v) -> {
            if (changed.given.contains(p) || !Objects.equals(v, base.values.get(p))) {
                next.put(p, v);
            }
        });
        Set<Param<?>> nextGiven = new LinkedHashSet<>(given);
        nextGiven.addAll(changed.given);
        return new Settings(next, Set.copyOf(nextGiven));
    }

    /** Every setting as the protocol writes params (a record of what a run used). */
    public ObjectNode toJson() {
        return json(values.keySet());
    }

    /**
     * The settings the run's params gave, as the protocol writes params: with the same preset, {@link
     * #with(JsonNode)} of it gives these settings back (a command line that reproduces a picture).
     */
    public ObjectNode givenJson() {
        return json(given);
    }

    private ObjectNode json(Set<Param<?>> params) {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        values.forEach((p, v) -> {
            if (params.contains(p)) {
                json.set(p.name(), p.write(v));
            }
        });
        return json;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Settings s && s.values.equals(values) && s.given.equals(given);
    }

    @Override
    public int hashCode() {
        return Objects.hash(values, given);
    }

    @Override
    public String toString() {
        return toJson().toString();
    }
}
