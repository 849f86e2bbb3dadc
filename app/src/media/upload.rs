//! Reading an uploaded file from a multipart form without holding more of it than an image may
//! weigh.

use axum::body::Bytes;
use axum::extract::multipart::{Field, MultipartError};
use axum::http::StatusCode;

use super::images::{ImageError, MAX_BYTES};

/// The request-body limit a route with an image field needs (`DefaultBodyLimit::max`): the
/// image, plus room for the other fields and the multipart framing. The site-wide default
/// (`MAX_BODY_BYTES`) is far smaller.
pub const UPLOAD_BODY_LIMIT: usize = MAX_BYTES + 256 * 1024;

/// The field's bytes, or [`ImageError::TooLarge`] as soon as they pass [`MAX_BYTES`]: reading
/// stops there, so a huge upload is never buffered whole.
pub async fn read_image_field(mut field: Field<'_>) -> Result<Bytes, ImageError> {
    let mut data = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if data.len() + chunk.len() > MAX_BYTES {
            return Err(ImageError::TooLarge);
        }
        data.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(data))
}

/// The body limit cutting the upload short means the file was too large, not that it broke.
fn multipart_error(err: MultipartError) -> ImageError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ImageError::TooLarge
    } else {
        ImageError::Interrupted(err)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::body::Body;
    use axum::extract::{DefaultBodyLimit, Multipart};
    use axum::http::Request;
    use axum::routing::post;
    use futures_util::StreamExt;
    use tower::ServiceExt;

    use super::*;

    const BOUNDARY: &str = "XyZ";

    fn upload_router(limit: DefaultBodyLimit) -> Router {
        async fn upload(mut form: Multipart) -> String {
            let field = form.next_field().await.unwrap().unwrap();
            match read_image_field(field).await {
                Ok(bytes) => format!("{} bytes", bytes.len()),
                Err(err) => err.to_string(),
            }
        }
        Router::new().route("/", post(upload)).layer(limit)
    }

    async fn send(router: Router, body: Body) -> String {
        let request = Request::post("/")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
            .unwrap();
        let response = router.oneshot(request).await.unwrap();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn part_head() -> String {
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\
             Content-Type: image/png\r\n\r\n"
        )
    }

    #[tokio::test]
    async fn an_image_field_is_read_whole() {
        let body = format!("{}{}\r\n--{BOUNDARY}--\r\n", part_head(), "x".repeat(1000));
        let answer = send(upload_router(DefaultBodyLimit::disable()), Body::from(body)).await;
        assert_eq!(answer, "1000 bytes");
    }

    #[tokio::test]
    async fn an_endless_upload_is_cut_off_just_past_5_mb() {
        // With no body limit at all, only the field reader stands between this and running out of
        // memory; it must give up and say why.
        let sent = Arc::new(AtomicUsize::new(0));
        let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
        // Each chunk arrives a moment after the last, as from a socket. (A stream that is always
        // ready would be drained by the multipart parser in one go, which no network does.)
        let endless = futures_util::stream::unfold(sent.clone(), move |sent| {
            let chunk = chunk.clone();
            async move {
                tokio::task::yield_now().await;
                sent.fetch_add(chunk.len(), Ordering::Relaxed);
                Some((Ok::<_, std::convert::Infallible>(chunk), sent))
            }
        });
        let head = futures_util::stream::once(async { Ok(Bytes::from(part_head())) });
        let body = Body::from_stream(head.chain(endless));

        let reading = send(upload_router(DefaultBodyLimit::disable()), body);
        let answer = tokio::time::timeout(std::time::Duration::from_secs(60), reading)
            .await
            .expect("the reader gives up instead of reading forever");
        assert_eq!(answer, "Images must be 5 MB or smaller");
        let sent = sent.load(Ordering::Relaxed);
        assert!(sent <= MAX_BYTES + 256 * 1024, "{sent} bytes were read");
    }

    #[tokio::test]
    async fn hitting_the_routes_body_limit_reads_as_too_large() {
        let head = Bytes::from(part_head());
        let chunks = std::iter::once(head).chain(std::iter::repeat_n(Bytes::from(vec![b'x'; 1000]), 10));
        let trickle = futures_util::stream::iter(chunks).then(|chunk| async {
            tokio::task::yield_now().await;
            Ok::<_, std::convert::Infallible>(chunk)
        });
        let answer = send(
            upload_router(DefaultBodyLimit::max(2000)),
            Body::from_stream(trickle),
        )
        .await;
        assert_eq!(answer, "Images must be 5 MB or smaller");
    }
}
