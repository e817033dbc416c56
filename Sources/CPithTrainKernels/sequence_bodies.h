// The bodies of sequence_kernels.c, included once per instruction set with SUFFIX(name)
// and TARGET defined (no include guard: that is the point). Loops over contiguous values
// are written so the compiler vectorizes them; reductions run in order, so every
// instruction set rounds the same way.

TARGET void SUFFIX(pith_sigmoid_forward)(const float *restrict x, float *restrict y, long n) {
    for (long i = 0; i < n; i++) y[i] = pith_sigmoidf(x[i]);
}

TARGET void SUFFIX(pith_tanh_forward)(const float *restrict x, float *restrict y, long n) {
    for (long i = 0; i < n; i++) y[i] = pith_tanhf(x[i]);
}

TARGET void SUFFIX(pith_gelu_forward)(const float *restrict x, float *restrict y, long n) {
    for (long i = 0; i < n; i++) {
        float v = x[i];
        y[i] = v * normal_cdf(v, pith_expf(-0.5f * v * v));
    }
}

TARGET void SUFFIX(pith_gelu_backward)(const float *restrict x, const float *restrict gy, float *restrict gx, long n) {
    for (long i = 0; i < n; i++) {
        float v = x[i];
        float g = pith_expf(-0.5f * v * v);
        gx[i] += gy[i] * (normal_cdf(v, g) + v * 0.39894228040143268f * g);
    }
}

/// One row of the LSTM step, each gate and state its own restrict pointer (so the
/// compiler vectorizes without run-time overlap checks).
TARGET static inline __attribute__((always_inline)) void SUFFIX(lstm_row_forward)(
    float *restrict zi, float *restrict zf, float *restrict zg, float *restrict zo, const float *restrict bi,
    const float *restrict bf, const float *restrict bg, const float *restrict bo, const float *restrict cp,
    float *restrict cc, float *restrict tcc, float *restrict hh, long hidden) {
    for (long j = 0; j < hidden; j++) {
        float i = pith_sigmoidf(zi[j] + bi[j]);
        float f = pith_sigmoidf(zf[j] + bf[j]);
        float g = pith_tanhf(zg[j] + bg[j]);
        float o = pith_sigmoidf(zo[j] + bo[j]);
        float cn = f * cp[j] + i * g;
        zi[j] = i;
        zf[j] = f;
        zg[j] = g;
        zo[j] = o;
        float tc = pith_tanhf(cn);
        cc[j] = cn;
        tcc[j] = tc;
        hh[j] = o * tc;
    }
}

TARGET void SUFFIX(pith_lstm_step_forward)(float *gates, long gs, const float *bias, const float *c_prev, float *c,
                                           float *tanh_c, long ss, float *h, long hs, long rows, long hidden) {
    for (long r = 0; r < rows; r++) {
        float *z = gates + r * gs;
        SUFFIX(lstm_row_forward)(z, z + hidden, z + 2 * hidden, z + 3 * hidden, bias, bias + hidden, bias + 2 * hidden,
                                 bias + 3 * hidden, c_prev + r * ss, c + r * ss, tanh_c + r * ss, h + r * hs, hidden);
    }
}

TARGET static inline __attribute__((always_inline)) void SUFFIX(lstm_row_backward)(
    const float *restrict ai, const float *restrict af, const float *restrict ag, const float *restrict ao,
    float *restrict di, float *restrict df, float *restrict dg, float *restrict dout, const float *restrict cp,
    const float *restrict tcc, const float *restrict up, const float *restrict rec, float *restrict dcr, long hidden) {
    for (long j = 0; j < hidden; j++) {
        float i = ai[j], f = af[j], g = ag[j], o = ao[j];
        float dh = (up ? up[j] : 0.0f) + (rec ? rec[j] : 0.0f);
        float tc = tcc[j];
        float dcj = dcr[j] + dh * o * (1.0f - tc * tc);
        di[j] = dcj * g * (i * (1.0f - i));
        df[j] = dcj * cp[j] * (f * (1.0f - f));
        dg[j] = dcj * i * (1.0f - g * g);
        dout[j] = dh * tc * (o * (1.0f - o));
        dcr[j] = dcj * f;
    }
}

TARGET void SUFFIX(pith_lstm_step_backward)(const float *acts, float *dgates, long gs, const float *c_prev,
                                            const float *tanh_c, long ss, const float *dh_out, long dhs,
                                            const float *dh_rec, float *dc, long rows, long hidden) {
    for (long r = 0; r < rows; r++) {
        const float *a = acts + r * gs;
        float *dz = dgates + r * gs;
        SUFFIX(lstm_row_backward)(a, a + hidden, a + 2 * hidden, a + 3 * hidden, dz, dz + hidden, dz + 2 * hidden,
                                  dz + 3 * hidden, c_prev + r * ss, tanh_c + r * ss, dh_out ? dh_out + r * dhs : 0,
                                  dh_rec ? dh_rec + r * hidden : 0, dc + r * hidden, hidden);
    }
}

/// max, sum and dot product of n values (n a multiple of 16) in 16 lanes, lane j taking
/// elements j, j + 16, …; the lanes are then combined 0 to 15, so every path rounds alike.
TARGET static inline __attribute__((always_inline)) float SUFFIX(lanes_max)(const float *restrict x, long n) {
    float m[16];
    for (int e = 0; e < 16; e++) m[e] = -INFINITY;
    for (long j = 0; j < n; j += 16)
        for (int e = 0; e < 16; e++) m[e] = x[j + e] > m[e] ? x[j + e] : m[e];
    float r = m[0];
    for (int e = 1; e < 16; e++) r = m[e] > r ? m[e] : r;
    return r;
}

TARGET static inline __attribute__((always_inline)) float SUFFIX(lanes_dot)(const float *restrict x, const float *restrict y,
                                                                            long n) {
    pith_v16 acc = {0};
    for (long j = 0; j < n; j += 16) acc += LOAD16(x + j) * LOAD16(y + j);
    float r = acc[0];
    for (int e = 1; e < 16; e++) r += acc[e];
    return r;
}

TARGET static inline __attribute__((always_inline)) float SUFFIX(lanes_sum)(const float *restrict x, long n) {
    pith_v16 acc = {0};
    for (long j = 0; j < n; j += 16) acc += LOAD16(x + j);
    float r = acc[0];
    for (int e = 1; e < 16; e++) r += acc[e];
    return r;
}

/// One row of LayerNorm forward (see pith_layernorm_forward).
TARGET static inline __attribute__((always_inline)) void SUFFIX(layernorm_row)(
    const float *restrict xr, const float *restrict gamma, const float *restrict beta, float *restrict yr,
    float *restrict hr, float *restrict rstd, long d, float epsilon) {
    // Widths that are multiples of 16 sum in lanes; others in order.
    const int lanes = d % 16 == 0;
    float s = 0.0f;
    if (lanes) s = SUFFIX(lanes_sum)(xr, d); else for (long j = 0; j < d; j++) s += xr[j];
    float mu = s / (float)d;
    for (long j = 0; j < d; j++) hr[j] = xr[j] - mu;
    float v = 0.0f;
    if (lanes) v = SUFFIX(lanes_dot)(hr, hr, d); else for (long j = 0; j < d; j++) v += hr[j] * hr[j];
    float rs = 1.0f / sqrtf(v / (float)d + epsilon);
    *rstd = rs;
    for (long j = 0; j < d; j++) {
        float h = hr[j] * rs;
        hr[j] = h;
        yr[j] = h * gamma[j] + beta[j];
    }
}

TARGET void SUFFIX(pith_layernorm_forward)(const float *x, const float *gamma, const float *beta, float *y,
                                           float *xhat, float *rstd, long rows, long d, float epsilon) {
    for (long r = 0; r < rows; r++)
        SUFFIX(layernorm_row)(x + r * d, gamma, beta, y + r * d, xhat + r * d, rstd + r, d, epsilon);
}

/// One row of LayerNorm backward (see pith_layernorm_backward).
TARGET static inline __attribute__((always_inline)) void SUFFIX(layernorm_row_backward)(
    const float *restrict g, const float *restrict h, float rs, const float *restrict gamma, float *restrict gxr,
    float *restrict ggamma, float *restrict gbeta, long d) {
    if (ggamma) for (long j = 0; j < d; j++) ggamma[j] += g[j] * h[j];
    if (gbeta) for (long j = 0; j < d; j++) gbeta[j] += g[j];
    if (!gxr) return;
    float sum = 0.0f, dot = 0.0f;
    if (d % 16 == 0 && d <= 1024) {
        float gh[1024];
        for (long j = 0; j < d; j++) gh[j] = g[j] * gamma[j];
        sum = SUFFIX(lanes_sum)(gh, d);
        dot = SUFFIX(lanes_dot)(gh, h, d);
    } else {
        for (long j = 0; j < d; j++) {
            float gh = g[j] * gamma[j];
            sum += gh;
            dot += gh * h[j];
        }
    }
    float mean = sum / (float)d, meanDot = dot / (float)d;
    for (long j = 0; j < d; j++) gxr[j] += rs * ((g[j] * gamma[j] - mean) - h[j] * meanDot);
}

TARGET void SUFFIX(pith_layernorm_backward)(const float *gy, const float *xhat, const float *rstd, const float *gamma,
                                            float *gx, float *ggamma, float *gbeta, long rows, long d) {
    for (long r = 0; r < rows; r++)
        SUFFIX(layernorm_row_backward)(gy + r * d, xhat + r * d, rstd[r], gamma, gx ? gx + r * d : 0, ggamma, gbeta, d);
}

/// dst[e·tp + j] = src[j·stride + e]: t rows of dh values transposed, each row of dst
/// padded with zeros to tp ≥ t.
TARGET static inline __attribute__((always_inline)) void SUFFIX(transpose)(float *restrict dst, const float *restrict src,
                                                                           long stride, long t, long tp, long dh) {
    for (long e = 0; e < dh; e++)
        for (long j = t; j < tp; j++) dst[e * tp + j] = 0.0f;
    for (long j = 0; j < t; j++)
        for (long e = 0; e < dh; e++) dst[e * tp + j] = src[j * stride + e];
}

/// row[0..<t] = softmax(row · scale) over a row padded to tp (a multiple of 16); the
/// padding ends as 0.
TARGET static inline __attribute__((always_inline)) void SUFFIX(scaled_softmax)(float *restrict row, long t, long tp,
                                                                                float scale) {
    for (long j = 0; j < tp; j++) row[j] = j < t ? row[j] * scale : -INFINITY;
    const float m = SUFFIX(lanes_max)(row, tp);
    for (long j = 0; j < tp; j++) row[j] = pith_expf(row[j] - m);
    const float inv = 1.0f / SUFFIX(lanes_sum)(row, tp);
    for (long j = 0; j < tp; j++) row[j] *= inv;
}

/// out[e] += Σ_i c[i·cs] · src[i·ss + e] for e < n, sixteen columns at a time summed in
/// registers (i in order), then the rest one column at a time.
TARGET static inline __attribute__((always_inline)) void SUFFIX(accumulate_rows)(
    float *restrict out, const float *restrict c, long cs, const float *restrict src, long ss, long rows, long n) {
    long e0 = 0;
    for (; e0 + 16 <= n; e0 += 16) {
        pith_v16 acc = {0};  // a register, not memory: the sum over i is one dependency chain
        for (long i = 0; i < rows; i++) acc += c[i * cs] * LOAD16(src + i * ss + e0);
        STORE16(out + e0, LOAD16(out + e0) + acc);
    }
    for (; e0 < n; e0++) {
        float acc = 0.0f;
        for (long i = 0; i < rows; i++) acc += c[i * cs] * src[i * ss + e0];
        out[e0] += acc;
    }
}

TARGET void SUFFIX(pith_attention_forward)(const float *qkv, float *out, float *probs, long levels, long first, long last,
                                           long heads, long t, long dh, float *scratch) {
    const long dm = heads * dh, d3 = 3 * dm;
    const float scale = 1.0f / sqrtf((float)dh);
    const long tp = (t + 15) & ~15L;
    float *kT = scratch, *scores = scratch + tp * dh;
    for (long pair = first; pair < last; pair++) {
        const long s = pair / heads, hd = pair % heads;
        const float *q = qkv + s * t * d3 + hd * dh, *k = q + dm, *v = q + 2 * dm;
        SUFFIX(transpose)(kT, k, d3, t, tp, dh);
        float *p = probs + pair * t * t;
        for (long i = 0; i < t; i++) {
            float *row = p + i * t;
            for (long j = 0; j < tp; j++) scores[j] = 0.0f;
            SUFFIX(accumulate_rows)(scores, q + i * d3, 1, kT, tp, dh, tp);
            SUFFIX(scaled_softmax)(scores, t, tp, scale);
            if (levels > 0) {
                for (long j = 0; j < t; j++) row[j] = rintf(scores[j] * (float)levels) / (float)levels;
            } else {
                for (long j = 0; j < t; j++) row[j] = scores[j];
            }
            float *o = out + (s * t + i) * dm + hd * dh;
            for (long e = 0; e < dh; e++) o[e] = 0.0f;
            SUFFIX(accumulate_rows)(o, row, 1, v, d3, t, dh);
        }
    }
}

TARGET void SUFFIX(pith_attention_backward)(const float *qkv, const float *probs, const float *gout, float *gqkv,
                                            long first, long last, long heads, long t, long dh, float *scratch) {
    const long dm = heads * dh, d3 = 3 * dm;
    const float scale = 1.0f / sqrtf((float)dh);
    const long tp = (t + 15) & ~15L;
    float *vT = scratch, *dp = scratch + tp * dh, *pp = dp + tp, *ds = pp + tp;
    for (long pair = first; pair < last; pair++) {
        const long s = pair / heads, hd = pair % heads;
        const long offset = s * t * d3 + hd * dh;
        const float *q = qkv + offset, *k = q + dm, *v = q + 2 * dm;
        const float *go = gout + s * t * dm + hd * dh;
        float *gq = gqkv + offset, *gk = gq + dm, *gv = gq + 2 * dm;
        SUFFIX(transpose)(vT, v, d3, t, tp, dh);
        const float *p = probs + pair * t * t;
        // ∂S, all t × t of it, first.
        for (long i = 0; i < t; i++) {
            const float *row = p + i * t;
            float *dsr = ds + i * t;
            for (long j = 0; j < tp; j++) dp[j] = 0.0f;
            SUFFIX(accumulate_rows)(dp, go + i * dm, 1, vT, tp, dh, tp);
            for (long j = 0; j < tp; j++) pp[j] = j < t ? row[j] : 0.0f;
            const float dot = SUFFIX(lanes_dot)(pp, dp, tp);
            for (long j = 0; j < t; j++) dsr[j] = row[j] * (dp[j] - dot) * scale;
        }
        for (long i = 0; i < t; i++) SUFFIX(accumulate_rows)(gq + i * d3, ds + i * t, 1, k, d3, t, dh);
        for (long j = 0; j < t; j++) {
            SUFFIX(accumulate_rows)(gk + j * d3, ds + j, t, q, d3, t, dh);
            SUFFIX(accumulate_rows)(gv + j * d3, p + j, t, go, dm, t, dh);
        }
    }
}
