package org.forward4j.backend.opencl;

import com.aparapi.Kernel;

/**
 * Every device routine of the {@code opencl} backend in one Aparapi kernel, selected per launch by {@link #pass}.
 *
 * <p>One class (and one instance per evaluator) because Aparapi gives each kernel instance its own device buffers:
 * keeping the weights, the layer inputs and the gradient coefficients resident between launches needs them to be
 * fields of the same instance. Aparapi translates this bytecode to OpenCL C; that limits the style: no objects, no
 * method-local arrays (the per-work-item arrays are {@code @PrivateMemorySpace} fields), no long locals without
 * debug information (the build compiles with {@code -g}), only uniform branches around barriers.
 *
 * <p>Routines (docs/method.md §5, §6):
 * <ul>
 *   <li>{@link #PASS_FORWARD}: one dense layer {@code v = W x + b + sigma_r eps_r} for a 64-row x 64-output tile per
 *       work-group of 16 x 16 items, each item owning a 4 x 4 register block; the 64 x 16 input and weight slices go
 *       through local memory. The epilogue regenerates the activation noise in-kernel (one Philox block per 4
 *       outputs of a row), applies the activation and writes the per-row noise energy partial of the tile.</li>
 *   <li>{@link #PASS_LOSS}: softmax cross-entropy per row.</li>
 *   <li>{@link #PASS_COEF}, {@link #PASS_GRAD} and {@link #PASS_REDUCE}: likelihood-ratio gradient assembly
 *       {@code G = C^T [X, 1]} with {@code C[r, o] = w_r sign_r eps_{r,o} / sigma} regenerated from the same noise
 *       stream, tiled like the forward with the row dimension as the reduction. The rows are split into
 *       {@link #splits} ranges whose partial products go to separate slices of {@link #gradPart} (a big GPU needs
 *       more work-groups than a layer's output x input tiles), and a second pass adds the slices: no atomics.</li>
 *   <li>{@link #PASS_COPY} and {@link #PASS_PERTURB}: the weights of a plan: {@code theta}, or
 *       {@code theta + scale_q z_q} per weight-plan slot with the direction generated in-kernel.</li>
 *   <li>{@link #PASS_NOISE}: raw noise elements, for parity checks against {@link org.forward4j.noise.NoiseStream}.</li>
 * </ul>
 *
 * <p>Stamps: Aparapi re-creates a device buffer from its (stale) Java array when the garbage collector moved that
 * array between launches. Every array that carries device-produced data across launches therefore keeps a stamp in
 * its last element; each launch checks the stamps of what it consumes and writes its own stamp, or {@code -1} when an
 * input was stale, so the host sees one broken chain in the arrays it reads back and re-runs the work.
 */
final class NetworkKernel extends Kernel {

    static final int PASS_COPY = 0;
    static final int PASS_PERTURB = 1;
    static final int PASS_FORWARD = 2;
    static final int PASS_LOSS = 3;
    static final int PASS_COEF = 4;
    static final int PASS_GRAD = 5;
    static final int PASS_NOISE = 6;
    static final int PASS_REDUCE = 7;

    static final int ACT_RELU = 0;
    static final int ACT_TANH = 1;
    static final int ACT_IDENTITY = 2;

    /** Work-items per tile side. */
    static final int TS = 16;
    /** Tile side in rows / outputs (TS items x 4 each). */
    static final int TILE = 64;
    /** Reduction slice per local-memory round. */
    static final int TK = 16;
    /** Padded local row stride: breaks bank conflicts of the transposed tile stores. */
    static final int LDS = 65;
    /** Work-items per work-group. */
    static final int GROUP = 256;
    /** Work-group size of the one-dimensional routines. */
    static final int LINEAR_GROUP = 64;

    // ---- scalars, set by the host before each launch ----
    int pass;
    int key0;
    int key1;
    int step;
    int dim;
    int layer;
    int inW;
    int outW;
    int wOff;
    int bOff;
    int inOff;
    int outOff;
    int hidden;
    int activation;
    int energyOff;
    int rows;
    int count;
    int gaussian;
    int noiseDraw;
    int noiseTensor;
    int noiseStart;
    int first;
    int splits;
    int splitRows;
    int outBlocks;
    float stamp;
    float fwdStamp;
    int wLast;
    int aLast;
    int eLast;
    int lLast;
    int cLast;
    int gLast;
    int pLast;

    // ---- global arrays (sized by the host; never null) ----
    float[] features = new float[1];
    int[] labels = new int[1];
    float[] theta = new float[1];
    float[] weights = new float[1];
    int[] rowData = new int[1];
    int[] rowStream = new int[1];
    float[] rowSigma = new float[1];
    float[] rowCoef = new float[1];
    int[] blockBase = new int[1];
    int[] slotDir = new int[1];
    float[] slotScale = new float[1];
    float[] acts = new float[1];
    float[] energy = new float[1];
    float[] loss = new float[1];
    float[] coef = new float[1];
    float[] grad = new float[1];
    float[] gradPart = new float[1];
    int[] noiseWords = new int[1];
    float[] noiseValues = new float[1];

    // ---- local memory ----
    @Local
    final float[] tileA = new float[TK * LDS];
    @Local
    final float[] tileB = new float[TK * LDS];
    @Local
    final float[] tileC = new float[TILE * LDS];
    @Local
    final float[] red = new float[GROUP];

    // ---- per-work-item scratch ----
    @PrivateMemorySpace(4)
    final int[] word = new int[4];
    @PrivateMemorySpace(4)
    final float[] gauss = new float[4];

    @Override
    public void run() {
        if (pass == PASS_FORWARD) {
            forward();
        } else if (pass == PASS_GRAD) {
            gradient();
        } else if (pass == PASS_COEF) {
            coefficients();
        } else if (pass == PASS_LOSS) {
            losses();
        } else if (pass == PASS_PERTURB) {
            perturb();
        } else if (pass == PASS_COPY) {
            copy();
        } else if (pass == PASS_REDUCE) {
            reduce();
        } else {
            noise();
        }
    }

    /**
     * Philox4x32-10 of counter (c0..c3) under key (k0, k1) into {@link #word}; bit-identical to
     * {@link org.forward4j.noise.Philox#block}. The 32 x 32 -> 64-bit products are assembled from 16-bit halves of
     * the multipliers so that no signed 64-bit multiplication overflows (undefined in OpenCL C).
     */
    void philox(int c0, int c1, int c2, int c3, int k0, int k1) {
        for (int r = 0; r < 10; r++) {
            long b0 = c0 & 0xFFFFFFFFL;
            long b2 = c2 & 0xFFFFFFFFL;
            // M0 = 0xD2511F53
            long x0 = 0x1F53L * b0;
            long y0 = 0xD251L * b0;
            long s0 = ((y0 & 0xFFFFL) << 16) + x0;
            int lo0 = (int) (s0 & 0xFFFFFFFFL);
            int hi0 = (int) (((y0 >>> 16) + (s0 >>> 32)) & 0xFFFFFFFFL);
            // M1 = 0xCD9E8D57
            long x1 = 0x8D57L * b2;
            long y1 = 0xCD9EL * b2;
            long s1 = ((y1 & 0xFFFFL) << 16) + x1;
            int lo1 = (int) (s1 & 0xFFFFFFFFL);
            int hi1 = (int) (((y1 >>> 16) + (s1 >>> 32)) & 0xFFFFFFFFL);
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
            k0 = (int) (((k0 & 0xFFFFFFFFL) + 0x9E3779B9L) & 0xFFFFFFFFL);
            k1 = (int) (((k1 & 0xFFFFFFFFL) + 0xBB67AE85L) & 0xFFFFFFFFL);
        }
        word[0] = c0;
        word[1] = c1;
        word[2] = c2;
        word[3] = c3;
    }

    /** Box-Muller of {@link #word} into {@link #gauss}: pairs (0, 1) and (2, 3), as NoiseStream documents. */
    void boxMuller() {
        boxMullerPair(word[0], word[1], 0);
        boxMullerPair(word[2], word[3], 2);
    }

    /**
     * {@code r = sqrt(-2 ln u0)}, {@code t = 2 pi u1}, {@code u = (w + 0.5) 2^-32}, in float but without the
     * cancellations a direct float translation has: {@code ln u0} uses {@code log1p(-(1 - u0))} when
     * {@code u0 >= 1/2} (the complement is exact in integers), and the angle is split into its quadrant (top two
     * bits), a 15-bit part for {@code sinpi/cospi} and a first-order correction for the last 15 bits. The result is
     * within a few float ulps of the double-precision reference.
     */
    void boxMullerPair(int a, int b, int at) {
        float r = sqrt(-2f * logUniform(a));
        int quadrant = b >>> 30;
        int f = b & 0x3FFFFFFF;
        float hi = (float) (f >>> 15) * 3.0517578125e-5f;
        float lo = ((float) (f & 0x7FFF) + 0.5f) * 9.313225746154785e-10f;
        float ch = cospi(hi * 0.5f);
        float sh = sinpi(hi * 0.5f);
        float dl = lo * 1.5707963267948966f;
        float c = ch - sh * dl;
        float s = sh + ch * dl;
        float cosT = c;
        float sinT = s;
        if (quadrant == 1) {
            cosT = -s;
            sinT = c;
        } else if (quadrant == 2) {
            cosT = -c;
            sinT = -s;
        } else if (quadrant == 3) {
            cosT = s;
            sinT = -c;
        }
        gauss[at] = r * cosT;
        gauss[at + 1] = r * sinT;
    }

    /** {@code ln((w + 0.5) 2^-32)} for the unsigned word w. */
    float logUniform(int w) {
        float v = 0f;
        if (w >= 0) {
            v = log(((float) w + 0.5f) * 2.3283064365386963e-10f);
        } else {
            v = log1p(-(((float) (~w) + 0.5f) * 2.3283064365386963e-10f));
        }
        return v;
    }

    /**
     * Rademacher elements {@code k .. k+3} ({@code k} a multiple of 4) of stream (tensor, draw) into {@link #gauss},
     * as NoiseStream lays them out: bit {@code k % 32} of word {@code (k / 32) % 4} of Philox block {@code k / 128},
     * +1 when the bit is 0. The four elements share one word.
     */
    void rademacher(int k, int tensor, int draw) {
        philox(k >>> 7, tensor, draw, step, key0, key1);
        int w = word[(k >>> 5) & 3];
        for (int e = 0; e < 4; e++) {
            gauss[e] = ((w >>> ((k + e) & 31)) & 1) == 0 ? 1f : -1f;
        }
    }

    void clearGauss() {
        gauss[0] = 0f;
        gauss[1] = 0f;
        gauss[2] = 0f;
        gauss[3] = 0f;
    }

    void copy() {
        int gid = getGlobalId();
        if (gid < dim) {
            weights[gid] = theta[gid];
        }
        if (gid == 0) {
            weights[wLast] = stamp;
        }
    }

    /** {@code weights[slot * dim + k] = theta[k] + scale_slot * z_slot[k]}, four elements per work-item. */
    void perturb() {
        int gid = getGlobalId();
        int blocks = (dim + 3) >>> 2;
        if (gid < count * blocks) {
            int slot = gid / blocks;
            int blk = gid - slot * blocks;
            int k = blk * 4;
            float scale = slotScale[slot];
            clearGauss();
            if (scale != 0f) {
                if (gaussian == 1) {
                    philox(blk, 0, slotDir[slot], step, key0, key1);
                    boxMuller();
                } else {
                    rademacher(k, 0, slotDir[slot]);
                }
            }
            int base = slot * dim;
            for (int e = 0; e < 4; e++) {
                if (k + e < dim) {
                    weights[base + k + e] = theta[k + e] + scale * gauss[e];
                }
            }
        }
        if (gid == 0) {
            weights[wLast] = stamp;
        }
    }

    /** Layer input element (row, k): gathered dataset features for layer 0, the previous layer's output after. */
    float input(int row, int k) {
        float v = 0f;
        if (layer == 0) {
            int dr = rowData[row];
            if (dr >= 0) {
                v = features[dr * inW + k];
            }
        } else {
            v = acts[inOff + row * inW + k];
        }
        return v;
    }

    void forward() {
        int tx = getLocalId(0);
        int ty = getLocalId(1);
        int lid = ty * TS + tx;
        int o0 = getGroupId(0) * TILE;
        int rb = getGroupId(1);
        int r0 = rb * TILE;
        int wb = blockBase[rb];
        float a00 = 0f;
        float a01 = 0f;
        float a02 = 0f;
        float a03 = 0f;
        float a10 = 0f;
        float a11 = 0f;
        float a12 = 0f;
        float a13 = 0f;
        float a20 = 0f;
        float a21 = 0f;
        float a22 = 0f;
        float a23 = 0f;
        float a30 = 0f;
        float a31 = 0f;
        float a32 = 0f;
        float a33 = 0f;
        for (int k0 = 0; k0 < inW; k0 += TK) {
            for (int j = 0; j < 4; j++) {
                int e = lid + j * GROUP;
                int rr = e >> 4;
                int kk = e & 15;
                int k = k0 + kk;
                float xv = 0f;
                float wv = 0f;
                if (k < inW) {
                    xv = input(r0 + rr, k);
                    if (o0 + rr < outW) {
                        wv = weights[wb + wOff + (o0 + rr) * inW + k];
                    }
                }
                tileA[kk * LDS + rr] = xv;
                tileB[kk * LDS + rr] = wv;
            }
            localBarrier();
            for (int kk = 0; kk < TK; kk++) {
                int base = kk * LDS;
                float x0 = tileA[base + ty];
                float x1 = tileA[base + ty + 16];
                float x2 = tileA[base + ty + 32];
                float x3 = tileA[base + ty + 48];
                float w0 = tileB[base + tx];
                float w1 = tileB[base + tx + 16];
                float w2 = tileB[base + tx + 32];
                float w3 = tileB[base + tx + 48];
                a00 += x0 * w0;
                a01 += x0 * w1;
                a02 += x0 * w2;
                a03 += x0 * w3;
                a10 += x1 * w0;
                a11 += x1 * w1;
                a12 += x1 * w2;
                a13 += x1 * w3;
                a20 += x2 * w0;
                a21 += x2 * w1;
                a22 += x2 * w2;
                a23 += x2 * w3;
                a30 += x3 * w0;
                a31 += x3 * w1;
                a32 += x3 * w2;
                a33 += x3 * w3;
            }
            localBarrier();
        }
        // Re-layout through local memory so that each item owns 4 consecutive outputs of a row: one Philox block
        // then serves all four (no redundant noise generation).
        int c0 = ty * LDS + tx;
        tileC[c0] = a00;
        tileC[c0 + 16] = a01;
        tileC[c0 + 32] = a02;
        tileC[c0 + 48] = a03;
        tileC[c0 + 16 * LDS] = a10;
        tileC[c0 + 16 * LDS + 16] = a11;
        tileC[c0 + 16 * LDS + 32] = a12;
        tileC[c0 + 16 * LDS + 48] = a13;
        tileC[c0 + 32 * LDS] = a20;
        tileC[c0 + 32 * LDS + 16] = a21;
        tileC[c0 + 32 * LDS + 32] = a22;
        tileC[c0 + 32 * LDS + 48] = a23;
        tileC[c0 + 48 * LDS] = a30;
        tileC[c0 + 48 * LDS + 16] = a31;
        tileC[c0 + 48 * LDS + 32] = a32;
        tileC[c0 + 48 * LDS + 48] = a33;
        localBarrier();
        for (int j = 0; j < 4; j++) {
            int p = lid + j * GROUP;
            int rr = p >> 4;
            int qd = p & 15;
            int row = r0 + rr;
            int o = o0 + qd * 4;
            float en = 0f;
            if (o < outW) {
                float sg = rowSigma[row];
                clearGauss();
                if (sg != 0f) {
                    philox(o >> 2, layer, rowStream[row], step, key0, key1);
                    boxMuller();
                }
                for (int e = 0; e < 4; e++) {
                    if (o + e < outW) {
                        float g = gauss[e];
                        float v = tileC[rr * LDS + qd * 4 + e] + weights[wb + bOff + o + e] + sg * g;
                        if (hidden == 1) {
                            if (activation == ACT_RELU) {
                                v = v > 0f ? v : 0f;
                            } else if (activation == ACT_TANH) {
                                v = tanh(v);
                            }
                        }
                        acts[outOff + row * outW + o + e] = v;
                        en += g * g;
                    }
                }
            }
            red[lid] = en;
            localBarrier();
            if (qd == 0) {
                float s = 0f;
                for (int t = 0; t < 16; t++) {
                    s += red[lid + t];
                }
                energy[(energyOff + getGroupId(0)) * rows + row] = s;
            }
            localBarrier();
        }
        if (getGlobalId(0) == 0 && getGlobalId(1) == 0) {
            int ok = weights[wLast] == stamp ? 1 : 0;
            if (layer > 0 && (acts[aLast] != stamp || energy[eLast] != stamp)) {
                ok = 0;
            }
            float s = ok == 1 ? stamp : -1f;
            acts[aLast] = s;
            energy[eLast] = s;
        }
    }

    /**
     * {@code loss = log1p(sum_{c != argmax} exp(v_c - m)) - (v_label - m)}: the log1p form keeps confident rows
     * (loss near 0) accurate in float.
     */
    void losses() {
        int row = getGlobalId();
        if (row < rows) {
            int dr = rowData[row];
            float value = 0f;
            if (dr >= 0) {
                int base = outOff + row * outW;
                float m = acts[base];
                int arg = 0;
                for (int c = 1; c < outW; c++) {
                    float v = acts[base + c];
                    if (v > m) {
                        m = v;
                        arg = c;
                    }
                }
                float s = 0f;
                for (int c = 0; c < outW; c++) {
                    if (c != arg) {
                        s += exp(acts[base + c] - m);
                    }
                }
                value = log1p(s) - (acts[base + labels[dr]] - m);
            }
            loss[row] = value;
        }
        if (row == 0) {
            loss[lLast] = acts[aLast] == stamp ? stamp : -1f;
        }
    }

    /** {@code coef[row, o] = rowCoef[row] * eps_{row, layer}[o]}, one Philox block per work-item. */
    void coefficients() {
        int gid = getGlobalId();
        int quads = (outW + 3) >>> 2;
        if (gid < rows * quads) {
            int row = gid / quads;
            int qd = gid - row * quads;
            int o = qd * 4;
            float c = rowCoef[row];
            clearGauss();
            if (c != 0f) {
                philox(qd, layer, rowStream[row], step, key0, key1);
                boxMuller();
            }
            for (int e = 0; e < 4; e++) {
                if (o + e < outW) {
                    coef[row * outW + o + e] = c * gauss[e];
                }
            }
        }
        if (gid == 0) {
            coef[cLast] = stamp;
        }
    }

    /** Gradient input element (row, i) with the bias as column {@code i == inW} (a constant 1). */
    float gradInput(int row, int i) {
        float v = 0f;
        if (i < inW) {
            v = input(row, i);
        } else if (i == inW) {
            v = 1f;
        }
        return v;
    }

    void storeGrad(int base, int o, int i, float v) {
        if (o < outW) {
            if (i < inW) {
                gradPart[base + wOff + o * inW + i] = v;
            } else if (i == inW) {
                gradPart[base + bOff + o] = v;
            }
        }
    }

    void gradient() {
        int tx = getLocalId(0);
        int ty = getLocalId(1);
        int lid = ty * TS + tx;
        int i0 = getGroupId(0) * TILE;
        int gy = getGroupId(1);
        int split = gy / outBlocks;
        int o0 = (gy - split * outBlocks) * TILE;
        int rFrom = split * splitRows;
        int rTo = min(rows, rFrom + splitRows);
        int partBase = split * dim;
        float a00 = 0f;
        float a01 = 0f;
        float a02 = 0f;
        float a03 = 0f;
        float a10 = 0f;
        float a11 = 0f;
        float a12 = 0f;
        float a13 = 0f;
        float a20 = 0f;
        float a21 = 0f;
        float a22 = 0f;
        float a23 = 0f;
        float a30 = 0f;
        float a31 = 0f;
        float a32 = 0f;
        float a33 = 0f;
        for (int r0 = rFrom; r0 < rTo; r0 += TK) {
            for (int j = 0; j < 4; j++) {
                int e = lid + j * GROUP;
                int rr = e >> 6;
                int cc = e & 63;
                int row = r0 + rr;
                float cv = 0f;
                if (o0 + cc < outW) {
                    cv = coef[row * outW + o0 + cc];
                }
                tileA[rr * LDS + cc] = cv;
                tileB[rr * LDS + cc] = gradInput(row, i0 + cc);
            }
            localBarrier();
            for (int rr = 0; rr < TK; rr++) {
                int base = rr * LDS;
                float c0 = tileA[base + ty];
                float c1 = tileA[base + ty + 16];
                float c2 = tileA[base + ty + 32];
                float c3 = tileA[base + ty + 48];
                float x0 = tileB[base + tx];
                float x1 = tileB[base + tx + 16];
                float x2 = tileB[base + tx + 32];
                float x3 = tileB[base + tx + 48];
                a00 += c0 * x0;
                a01 += c0 * x1;
                a02 += c0 * x2;
                a03 += c0 * x3;
                a10 += c1 * x0;
                a11 += c1 * x1;
                a12 += c1 * x2;
                a13 += c1 * x3;
                a20 += c2 * x0;
                a21 += c2 * x1;
                a22 += c2 * x2;
                a23 += c2 * x3;
                a30 += c3 * x0;
                a31 += c3 * x1;
                a32 += c3 * x2;
                a33 += c3 * x3;
            }
            localBarrier();
        }
        int o = o0 + ty;
        int i = i0 + tx;
        storeGrad(partBase, o, i, a00);
        storeGrad(partBase, o, i + 16, a01);
        storeGrad(partBase, o, i + 32, a02);
        storeGrad(partBase, o, i + 48, a03);
        storeGrad(partBase, o + 16, i, a10);
        storeGrad(partBase, o + 16, i + 16, a11);
        storeGrad(partBase, o + 16, i + 32, a12);
        storeGrad(partBase, o + 16, i + 48, a13);
        storeGrad(partBase, o + 32, i, a20);
        storeGrad(partBase, o + 32, i + 16, a21);
        storeGrad(partBase, o + 32, i + 32, a22);
        storeGrad(partBase, o + 32, i + 48, a23);
        storeGrad(partBase, o + 48, i, a30);
        storeGrad(partBase, o + 48, i + 16, a31);
        storeGrad(partBase, o + 48, i + 32, a32);
        storeGrad(partBase, o + 48, i + 48, a33);
        if (getGlobalId(0) == 0 && getGlobalId(1) == 0) {
            int ok = coef[cLast] == stamp ? 1 : 0;
            if (layer > 0 && acts[aLast] != fwdStamp) {
                ok = 0;
            }
            gradPart[pLast] = ok == 1 ? stamp : -1f;
        }
    }

    /** {@code grad[wOff + j] = sum_s gradPart[s * dim + wOff + j]} over one layer's {@link #count} parameters. */
    void reduce() {
        int gid = getGlobalId();
        if (gid < count) {
            int idx = wOff + gid;
            float s = 0f;
            for (int sp = 0; sp < splits; sp++) {
                s += gradPart[sp * dim + idx];
            }
            grad[idx] = s;
        }
        if (gid == 0) {
            int ok = gradPart[pLast] == stamp ? 1 : 0;
            if (first == 0 && grad[gLast] != stamp) {
                ok = 0;
            }
            grad[gLast] = ok == 1 ? stamp : -1f;
        }
    }

    /** Elements {@code noiseStart + gid} of stream (seed, step, noiseDraw, noiseTensor), with their Philox word. */
    void noise() {
        int gid = getGlobalId();
        if (gid < count) {
            int k = noiseStart + gid;
            int e = k & 3;
            if (gaussian == 1) {
                philox(k >>> 2, noiseTensor, noiseDraw, step, key0, key1);
                noiseWords[gid] = word[e];
                boxMuller();
            } else {
                rademacher(k - e, noiseTensor, noiseDraw);
                noiseWords[gid] = word[(k >>> 5) & 3];
            }
            noiseValues[gid] = gauss[e];
        }
    }
}
