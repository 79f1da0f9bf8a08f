package io.filterscope.engine.preset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.filterscope.UserError;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A value for every setting of {@link Params}, each checked against its declaration. Immutable: {@link #with}
 * gives new settings. Presets start from their defaults; a run's params (the protocol's {@code params}, the
 * command line's {@code --params}) replace some of them.
 */
public final class Settings {
    private final Map<Param<?>, Object> values;

    private Settings(Map<Param<?>, Object> values) {
        this.values = values;
    }

    /** Every setting at its {@link Param#base} value: the {@code plain} preset. */
    static Settings base() {
        Map<Param<?>, Object> all = new LinkedHashMap<>();
        Params.ALL.forEach(p -> all.put(p, p.base()));
        return new Settings(all);
    }

    @SuppressWarnings("unchecked")
    public <T> T get(Param<T> param) {
        return (T) values.get(param);
    }

    /** These settings with one replaced. @throws UserError when the value is out of bounds */
    public <T> Settings with(Param<T> param, T value) {
        Map<Param<?>, Object> next = new LinkedHashMap<>(values);
        next.put(param, param.check(value));
        return new Settings(next);
    }

    /**
     * These settings with the fields present in {@code changes} (a JSON object, as the protocol sends params)
     * replaced; null changes nothing.
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
        for (Iterator<Map.Entry<String, JsonNode>> it = changes.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Param<?> param = Params.named(e.getKey());
            next.put(param, param.read(e.getValue()));
        }
        return new Settings(next);
    }

    /** These settings with every setting where {@code changed} differs from {@code base} taken from {@code changed}. */
    public Settings withChanges(Settings base, Settings changed) {
        Map<Param<?>, Object> next = new LinkedHashMap<>(values);
        changed.values.forEach((p, v) -> {
            if (!Objects.equals(v, base.values.get(p))) {
                next.put(p, v);
            }
        });
        return new Settings(next);
    }

    /** Every setting as the protocol writes params; {@link #with(JsonNode)} reads it back. */
    public ObjectNode toJson() {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        values.forEach((p, v) -> json.set(p.name(), p.write(v)));
        return json;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Settings s && s.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return toJson().toString();
    }
}
