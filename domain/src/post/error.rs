use thiserror::Error;

/// Why a post command is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PostError {
    #[error("can't be blank")]
    TitleBlank,
    #[error("must be at most 200 characters")]
    TitleTooLong,
    #[error("can't be blank")]
    DescriptionBlank,
    #[error("must be at most 300 characters")]
    DescriptionTooLong,
    #[error("can't be blank")]
    BodyBlank,
    #[error("must be at most 100,000 characters")]
    BodyTooLong,
    #[error("must be 1 to 40 characters without commas")]
    TagInvalid,
    #[error("at most 10 tags")]
    TooManyTags,
    #[error("must be in the future")]
    ScheduleInPast,
    #[error("must be within a year")]
    ScheduleTooFar,
    #[error("not due to be published")]
    NotDue,
    #[error("post not found")]
    NotFound,
    #[error("already published")]
    AlreadyPublished,
    #[error("only the author may edit a post")]
    NotAuthor,
    #[error("only the author or staff may delete a post")]
    NotAllowedToDelete,
    #[error("only staff may hide a post")]
    NotStaff,
}

impl PostError {
    /// The form field the error belongs to.
    pub fn field(self) -> &'static str {
        match self {
            Self::TitleBlank | Self::TitleTooLong => "title",
            Self::DescriptionBlank | Self::DescriptionTooLong => "description",
            Self::BodyBlank | Self::BodyTooLong => "body",
            Self::TagInvalid | Self::TooManyTags => "tags",
            Self::ScheduleInPast | Self::ScheduleTooFar => "publish_at",
            Self::NotFound
            | Self::NotDue
            | Self::AlreadyPublished
            | Self::NotAuthor
            | Self::NotAllowedToDelete
            | Self::NotStaff => "post",
        }
    }
}
