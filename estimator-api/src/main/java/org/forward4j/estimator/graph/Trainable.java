package org.forward4j.estimator.graph;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.forward4j.plugin.InvalidConfigurationException;
import org.forward4j.plugin.Suggestions;

/**
 * Which parameter tensors of a graph train; the others keep their values and are never perturbed. Written as a
 * comma-separated union of:
 * <ul>
 *   <li>{@code all}: every tensor;</li>
 *   <li>{@code last:K}: every tensor of the last K blocks ({@code head} is {@code last:1});</li>
 *   <li>{@code biases}: every bias and layer-norm shift (BitFit);</li>
 *   <li>{@code names:REGEX}: the tensors whose name matches the regular expression, for example
 *       {@code names:blocks\.3\..*|head\..*}.</li>
 * </ul>
 */
public final class Trainable {

    private static final List<String> FORMS = List.of("all", "last:K", "head", "biases", "names:REGEX");

    private Trainable() {
    }

    /**
     * Resolves a selection on a graph.
     *
     * @param spec the selection
     * @param graph the graph
     * @return one flag per tensor of {@link LayerGraph#tensors()}
     * @throws InvalidConfigurationException naming the part that is malformed, or saying the selection is empty
     */
    public static boolean[] select(String spec, LayerGraph graph) {
        List<LayerGraph.Tensor> tensors = graph.tensors();
        boolean[] on = new boolean[tensors.size()];
        if (spec == null || spec.isBlank()) {
            throw new InvalidConfigurationException("trainable is empty; use one of " + FORMS);
        }
        for (String raw : spec.split(",")) {
            String part = raw.trim();
            String low = part.toLowerCase(Locale.ROOT);
            if (low.equals("all")) {
                java.util.Arrays.fill(on, true);
            } else if (low.equals("head") || low.startsWith("last:")) {
                int k;
                try {
                    k = low.equals("head") ? 1 : Integer.parseInt(low.substring(5));
                } catch (NumberFormatException e) {
                    throw new InvalidConfigurationException("trainable=" + part + ": K of last:K must be a whole number");
                }
                int blocks = graph.blocks().size();
                if (k < 1 || k > blocks) {
                    throw new InvalidConfigurationException("trainable=" + part + ": the graph has " + blocks
                            + " blocks; K must be in 1.." + blocks);
                }
                for (int t = 0; t < on.length; t++) {
                    on[t] |= tensors.get(t).block() >= blocks - k;
                }
            } else if (low.equals("biases")) {
                for (int t = 0; t < on.length; t++) {
                    ParameterSpec.Role r = tensors.get(t).spec().role();
                    on[t] |= r == ParameterSpec.Role.BIAS || r == ParameterSpec.Role.SHIFT;
                }
            } else if (low.startsWith("names:")) {
                Pattern p;
                try {
                    p = Pattern.compile(part.substring(6));
                } catch (PatternSyntaxException e) {
                    throw new InvalidConfigurationException("trainable=" + part + " is not a valid regular expression: "
                            + e.getDescription());
                }
                boolean any = false;
                for (int t = 0; t < on.length; t++) {
                    if (p.matcher(tensors.get(t).name()).matches()) {
                        on[t] = true;
                        any = true;
                    }
                }
                if (!any) {
                    List<String> names = new ArrayList<>();
                    tensors.forEach(x -> names.add(x.name()));
                    throw new InvalidConfigurationException("trainable=" + part + " matches no tensor of the graph"
                            + Suggestions.hint(part.substring(6), names) + "; its tensors are " + names);
                }
            } else {
                throw new InvalidConfigurationException("trainable=" + part + " is not a selection"
                        + Suggestions.hint(low, List.of("all", "head", "biases")) + "; use one of " + FORMS);
            }
        }
        boolean any = false;
        for (boolean b : on) {
            any |= b;
        }
        if (!any) {
            throw new InvalidConfigurationException("trainable=" + spec + " selects no parameter; use one of " + FORMS);
        }
        return on;
    }
}
