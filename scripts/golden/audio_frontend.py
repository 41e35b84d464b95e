#!/usr/bin/python3
"""Golden numbers for distillery's audio front-end (log-mel spectrogram and MFCC).

Writes src/features/fixtures/frontend.json: seeded float32 waveforms, front-end settings and
the expected mel filterbank, log-mel and MFCC, computed in float64 with numpy alone, written
independently of the TypeScript side (which builds the DFT, mel and DCT as matrices):

  frames    frames of window_length every hop_length, no centring, zero-padded at the end to
            n_fft (tf.signal.stft's convention)
  window    periodic Hann, 0.5 - 0.5 cos(2 pi n / N)
  spectrum  |np.fft.rfft(frame * window, n_fft)|^2 (the FFT, not a DFT matrix)
  mel       librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk, norm) re-written in numpy:
            librosa's mel_frequencies / hz_to_mel (Slaney: linear below 1 kHz, log above;
            HTK: 2595 log10(1 + f/700)), triangles over np.linspace(0, sr/2, 1 + n_fft//2),
            norm='slaney' scales each by 2 / (f[m+2] - f[m])
  log       ln(mel @ power + log_offset)
  mfcc      scipy.fft.dct(type=2, norm='ortho') re-written via the FFT of the even extension,
            first n_mfcc coefficients

librosa and scipy are not installed here; the definitions above follow librosa 0.10's
filters.mel and convert.hz_to_mel / mel_to_hz, and scipy's DCT-II documentation.

Run: /usr/bin/python3 scripts/golden/audio_frontend.py   (numpy only; < 1 s)
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'features', 'fixtures', 'frontend.json')


def hz_to_mel(f, htk):
    f = np.asanyarray(f, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    f_sp = 200.0 / 3
    mels = f / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, mels)


def mel_to_hz(m, htk):
    m = np.asanyarray(m, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    f_sp = 200.0 / 3
    freqs = f_sp * m
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = np.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), freqs)


def mel_filters(sr, n_fft, n_mels, fmin, fmax, htk, norm):
    fftfreqs = np.linspace(0, sr / 2.0, 1 + n_fft // 2)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_mels + 2), htk)
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    weights = np.zeros((n_mels, 1 + n_fft // 2))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    if norm == 'slaney':
        weights *= (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, np.newaxis]
    return weights


def dct2_ortho(x):
    """DCT-II along the last axis, orthonormal, via the FFT of the even extension."""
    n = x.shape[-1]
    v = np.concatenate([x, x[..., ::-1]], axis=-1)
    V = np.fft.fft(v, axis=-1)[..., :n]
    k = np.arange(n)
    y = np.real(np.exp(-1j * np.pi * k / (2 * n)) * V)  # = 2 * sum x cos(pi k (2i+1) / 2n)
    scale = np.full(n, np.sqrt(1.0 / (2 * n)))
    scale[0] = np.sqrt(1.0 / (4 * n))
    return y * scale


def frontend(waves, c):
    w, hop, nfft = c['windowLength'], c['hopLength'], c['fftSize']
    frames = 1 + (waves.shape[1] - w) // hop
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(w) / w)
    idx = np.arange(frames)[:, None] * hop + np.arange(w)[None, :]
    fr = waves.astype(np.float64)[:, idx] * win
    power = np.abs(np.fft.rfft(fr, n=nfft, axis=-1)) ** 2
    fb = mel_filters(c['sampleRate'], nfft, c['melBins'], c['fmin'], c['fmax'], c['melScale'] == 'htk', c['melNorm'])
    log_mel = np.log(power @ fb.T + c['logOffset'])
    out = {'logMel': log_mel, 'mel': fb}
    if 'mfcc' in c:
        out['mfcc'] = dct2_ortho(log_mel)[..., :c['mfcc']]
    return out


def enc(a):
    # 9 significant digits: exact for the float32 waveforms, far below the 1e-4 tolerance elsewhere.
    return {'shape': list(a.shape), 'data': [float('%.9g' % v) for v in np.asarray(a).ravel()]}


def main():
    rng = np.random.RandomState(15)
    sr = 16000
    n = 2400  # 0.15 s: a handful of frames keeps the fixture small
    t = np.arange(n) / sr
    chirp = 0.4 * np.sin(2 * np.pi * (200 * t + 0.5 * 20000 * t * t))
    tone_noise = 0.3 * np.sin(2 * np.pi * 1000 * t) + 0.05 * rng.randn(n)
    quiet = 1e-3 * rng.randn(n)  # near the log offset: tests the low end
    waves = np.stack([chirp, tone_noise, quiet]).astype(np.float32)
    configs = [
        {'name': 'slaney-logmel', 'sampleRate': sr, 'windowLength': 400, 'hopLength': 160, 'fftSize': 512,
         'melBins': 40, 'fmin': 20.0, 'fmax': 8000.0, 'logOffset': 1e-6, 'melScale': 'slaney', 'melNorm': 'slaney'},
        {'name': 'htk-mfcc', 'sampleRate': sr, 'windowLength': 480, 'hopLength': 320, 'fftSize': 512,
         'melBins': 40, 'fmin': 20.0, 'fmax': 4000.0, 'logOffset': 1e-6, 'melScale': 'htk', 'melNorm': 'none', 'mfcc': 10},
        {'name': 'slaney-mfcc-odd', 'sampleRate': sr, 'windowLength': 640, 'hopLength': 320, 'fftSize': 1024,
         'melBins': 32, 'fmin': 0.0, 'fmax': 7600.0, 'logOffset': 1e-3, 'melScale': 'slaney', 'melNorm': 'slaney', 'mfcc': 13},
    ]
    cases = []
    for c in configs:
        r = frontend(waves, c)
        case = {'name': c['name'], 'frontEnd': {k: v for k, v in c.items() if k != 'name'},
                'mel': enc(r['mel']), 'logMel': enc(r['logMel'])}
        if 'mfcc' in r:
            case['mfcc'] = enc(r['mfcc'])
        cases.append(case)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump({'source': 'scripts/golden/audio_frontend.py', 'waves': enc(waves), 'cases': cases}, f, separators=(',', ':'))
    print('wrote', OUT)


if __name__ == '__main__':
    main()
