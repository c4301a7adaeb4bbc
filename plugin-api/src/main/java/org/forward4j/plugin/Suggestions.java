package org.forward4j.plugin;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * "Did you mean" for misspelt names: plugin names, setting keys, enum values. A candidate is suggested when it is
 * within a small edit distance of what was typed (two edits, or a third of its length for long names, and fewer
 * edits than the typed word has letters), so a typo gets one useful hint and an unrelated word gets none.
 */
public final class Suggestions {

    private Suggestions() {
    }

    /**
     * The candidate closest to {@code typed}, if one is close enough.
     *
     * @param typed what the user wrote
     * @param candidates the valid names
     * @return the best candidate within the distance limit (ties: the first in iteration order)
     */
    public static Optional<String> closest(String typed, Collection<String> candidates) {
        if (typed == null || typed.isEmpty()) {
            return Optional.empty();
        }
        String t = typed.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(t, c.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = c;
                bestDistance = d;
            }
        }
        int limit = Math.max(2, t.length() / 3);
        return best != null && bestDistance > 0 && bestDistance <= limit && bestDistance < t.length()
                ? Optional.of(best) : Optional.empty();
    }

    /**
     * {@code " (did you mean 'x'?)"} for the closest candidate, or the empty string, to append to a message.
     *
     * @param typed what the user wrote
     * @param candidates the valid names
     * @return the hint, with a leading space, or {@code ""}
     */
    public static String hint(String typed, Collection<String> candidates) {
        return closest(typed, candidates).map(c -> " (did you mean '" + c + "'?)").orElse("");
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
