package io.filterscope;

/**
 * The indexes a layer's filters or channels, or a model's classes, run over: 0 to {@code count - 1}. The one
 * place the message for an index outside them is written, as 404 {@link UserError#notFound}: {@code filter 160
 * is out of range: layer conv6 has 160 filters (0-159)}, whatever the index's size; a negative index is no index at
 * all (400).
 *
 * @param noun  what is counted, singular: {@code filter}, {@code channel}, {@code class}
 * @param owner who has them: {@code layer conv6}, {@code model emoji-cnn}
 * @param count how many there are, at least 1
 */
public record IndexRange(String noun, String owner, long count) {
    /**
     * @return {@code index} as an int, when it is in the range; else throws the message naming the range (404), or, for
     *         a negative index, a 400 saying what an index is, as the HTTP routes answer {@code filter=-1}
     */
    public int check(long index) {
        if (index < 0) {
            throw new UserError(noun + " " + index + " is not a whole number from 0: " + owner + " has " + plural() + " 0-" + (count - 1));
        }
        if (index >= count) {
            throw outside(Long.toString(index));
        }
        return (int) index;
    }

    /**
     * @param digits the index as the user wrote it: a whole number from 0, digits of any length (one beyond 64 bits too)
     * @return it as an int, when it is in the range; else throws the message naming the range, with the digits as given
     */
    public int check(String digits) {
        long index;
        try {
            index = Long.parseLong(digits);
        } catch (NumberFormatException beyond63Bits) {
            throw outside(digits);
        }
        return check(index);
    }

    /** @param index the index as the user wrote it, digits of any length (one beyond 64 bits too) */
    public UserError outside(String index) {
        return UserError.notFound(noun + " " + index + " is out of range: " + owner + " has " + count + " "
                + plural() + " (0-" + (count - 1) + ")");
    }

    private String plural() {
        return noun.endsWith("s") ? noun + "es" : noun + "s";
    }
}
