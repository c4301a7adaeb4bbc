package org.forward4j.backend.cpu;

import java.util.ArrayList;
import java.util.List;

/**
 * How both cpu evaluators cut an activation plan's point groups into the chunks of a streaming assembly: whole
 * groups, consecutive, at most {@code maxRows} rows a chunk, a larger group a chunk of its own. The cut depends on
 * the plan and the chunk size only, never on the thread count, so the assembly's order (and its bits) do not either.
 */
final class GroupChunks {

    private GroupChunks() {
    }

    /**
     * The chunks of a plan's groups.
     *
     * @param groupEnds the end row of each group (checked by {@code ActivationPlan.checkGroups})
     * @param maxRows the most rows a chunk of several groups may have
     * @return per chunk {@code {first group, end group}}
     */
    static List<int[]> of(int[] groupEnds, int maxRows) {
        List<int[]> chunks = new ArrayList<>();
        int first = 0;
        for (int g = 0; g < groupEnds.length; g++) {
            if (g > first && groupEnds[g] - start(groupEnds, first) > maxRows) {
                chunks.add(new int[] {first, g});
                first = g;
            }
        }
        chunks.add(new int[] {first, groupEnds.length});
        return chunks;
    }

    /**
     * The first row of a group.
     *
     * @param groupEnds the end row of each group
     * @param g the group
     * @return its first row
     */
    static int start(int[] groupEnds, int g) {
        return g == 0 ? 0 : groupEnds[g - 1];
    }
}
