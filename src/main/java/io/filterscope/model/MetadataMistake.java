package io.filterscope.model;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A metadata file's field of the wrong type, or one it does not know, in the file's own terms rather than
 * Jackson's Java ones: {@code "inputShape[1]" must be a whole number}, {@code unknown field "scale" in "input"
 * (fields: low, high, mean, std, channelOrder)}.
 */
final class MetadataMistake {
    private MetadataMistake() {
    }

    static String describe(MismatchedInputException e) {
        List<JsonMappingException.Reference> path = e.getPath();
        if (e instanceof UnrecognizedPropertyException u) {
            String known = u.getKnownPropertyIds() == null ? "" : " (fields: "
                    + u.getKnownPropertyIds().stream().map(String::valueOf).sorted().collect(Collectors.joining(", ")) + ")";
            return "unknown field \"" + u.getPropertyName() + "\""
                    + (path.size() > 1 ? " in \"" + name(path.subList(0, path.size() - 1)) + "\"" : "") + known;
        }
        return path.isEmpty() ? "must hold one JSON object" : "\"" + name(path) + "\" must be " + expected(e.getTargetType());
    }

    /** {@code input.mean[2]}: fields by name, array elements by index. */
    private static String name(List<JsonMappingException.Reference> path) {
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference r : path) {
            if (r.getFieldName() != null) {
                out.append(out.length() == 0 ? "" : ".").append(r.getFieldName());
            } else {
                out.append('[').append(r.getIndex()).append(']');
            }
        }
        return out.toString();
    }

    private static String expected(Class<?> type) {
        if (type == null) {
            return "of another type";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "a whole number";
        }
        if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class) {
            return "a number";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        return "an object";
    }
}
