// class-transformer keeps @Type metadata in this module but publishes its types under types/.
declare module 'class-transformer/cjs/storage.js' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}
