//! Stream parameters for writing a container from Annex B units (what RTSP cameras send): the
//! parameter sets (H.264 SPS/PPS, H.265 VPS/SPS/PPS) found in a keyframe, and libavcodec
//! `Parameters` carrying them as extradata, which the MP4 muxer turns into avcC/hvcC.

use super::frame::Codec;
use ffmpeg_next as ffmpeg;

/// Splits Annex B data into NAL units (without start codes).
pub fn nal_units(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    starts
        .iter()
        .enumerate()
        .map(|(k, &start)| {
            let mut end = starts.get(k + 1).map_or(data.len(), |next| next - 3);
            // A four-byte start code leaves a zero before the next three-byte one.
            while end > start && data[end - 1] == 0 && starts.get(k + 1).is_some() {
                end -= 1;
            }
            &data[start..end]
        })
        .filter(|nal| !nal.is_empty())
        .collect()
}

/// Whether a NAL unit is a parameter set of `codec`.
fn is_parameter_set(codec: Codec, nal: &[u8]) -> bool {
    match codec {
        Codec::H264 => matches!(nal[0] & 0x1f, 7 | 8),
        Codec::H265 => matches!((nal[0] >> 1) & 0x3f, 32..=34),
        Codec::Jpeg => false,
    }
}

/// The parameter sets of an Annex B keyframe, each after a four-byte start code; `None` when
/// it carries none.
pub fn parameter_sets(codec: Codec, data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for nal in nal_units(data) {
        if is_parameter_set(codec, nal) {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(nal);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Video stream parameters for a muxer: codec, size and extradata.
pub fn annexb_parameters(
    codec: Codec,
    width: u32,
    height: u32,
    extradata: &[u8],
) -> ffmpeg::codec::Parameters {
    let id = match codec {
        Codec::H264 => ffmpeg::ffi::AVCodecID::AV_CODEC_ID_H264,
        Codec::H265 => ffmpeg::ffi::AVCodecID::AV_CODEC_ID_HEVC,
        Codec::Jpeg => ffmpeg::ffi::AVCodecID::AV_CODEC_ID_MJPEG,
    };
    let mut parameters = ffmpeg::codec::Parameters::new();
    // SAFETY: `parameters` owns a valid AVCodecParameters (allocated by `new`); the extradata
    // buffer is allocated with av_mallocz including the padding libavcodec requires, filled
    // from a slice of exactly `extradata.len()` bytes, and then owned by the parameters, which
    // free it with avcodec_parameters_free when dropped.
    unsafe {
        let p = parameters.as_mut_ptr();
        (*p).codec_type = ffmpeg::ffi::AVMediaType::AVMEDIA_TYPE_VIDEO;
        (*p).codec_id = id;
        (*p).width = i32::try_from(width).unwrap_or(0);
        (*p).height = i32::try_from(height).unwrap_or(0);
        let padding = ffmpeg::ffi::AV_INPUT_BUFFER_PADDING_SIZE as usize;
        let buffer = ffmpeg::ffi::av_mallocz(extradata.len() + padding).cast::<u8>();
        if !buffer.is_null() {
            std::ptr::copy_nonoverlapping(extradata.as_ptr(), buffer, extradata.len());
            (*p).extradata = buffer;
            (*p).extradata_size = i32::try_from(extradata.len()).unwrap_or(0);
        }
    }
    parameters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_sets_are_picked_out_of_a_keyframe() {
        // SPS (type 7), PPS (8) and an IDR slice (5), with four- and three-byte start codes.
        let unit = [
            0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x68, 3, 0, 0, 1, 0x65, 9, 9, 9,
        ];
        let nals = nal_units(&unit);
        assert_eq!(nals, vec![&[0x67, 1, 2][..], &[0x68, 3], &[0x65, 9, 9, 9]]);
        assert_eq!(
            parameter_sets(Codec::H264, &unit),
            Some(vec![0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x68, 3])
        );
        assert_eq!(parameter_sets(Codec::H264, &[0, 0, 1, 0x41, 7]), None);
        // H.265: VPS 32, SPS 33, PPS 34 are (type << 1) in the first byte.
        let hevc = [
            0, 0, 1, 0x40, 1, 0, 0, 1, 0x42, 1, 0, 0, 1, 0x44, 1, 0, 0, 1, 0x26, 1,
        ];
        let sets = parameter_sets(Codec::H265, &hevc).expect("sets");
        assert_eq!(nal_units(&sets).len(), 3);
    }

    #[test]
    fn parameters_carry_the_codec_size_and_extradata() {
        let parameters = annexb_parameters(Codec::H264, 640, 360, &[0, 0, 0, 1, 0x67, 1]);
        assert_eq!(parameters.id(), ffmpeg::codec::Id::H264);
        assert_eq!(parameters.medium(), ffmpeg::media::Type::Video);
    }
}
